// The console's only script, and optional: every page works without it.
// A form marked data-once is sent once: its buttons are disabled after the first submit (the
// services also treat a repeated Idempotency-Key as one action, so this only spares a second wait).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
  if (form.dataset.sent === "1") { event.preventDefault(); return; }
  form.dataset.sent = "1";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.setAttribute("disabled", "");
    button.setAttribute("aria-busy", "true");
  }
});
// After a refused form, move keyboard and screen-reader focus to the message.
document.addEventListener("DOMContentLoaded", () => {
  const alert = document.querySelector("#galat-form");
  if (alert) alert.focus();
});
