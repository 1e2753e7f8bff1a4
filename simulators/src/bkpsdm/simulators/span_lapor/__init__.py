"""An SP4N-LAPOR!-like API: client-credential tokens, reports addressed to an agency, follow-ups
with idempotency keys, status, and outages on demand (`/sim/*`)."""
