"""Console benchmark (issue 11): how long the console's main pages take to render on the demo
data, against the console's own `/health/live` measured in the same run as the floor (one HTTP round
trip through the same server, middleware and logging, with no page behind it).

It assumes the local system is running: `make up` (every service on its port, see
deploy/local/services.sh; the console on 127.0.0.1:8007) and `make demo` (the demo accounts and
a submission carried into the inboxes). It starts and stops nothing; if the console does not
answer it says so and exits with status 2.

Pages, each requested `--requests` times one after the other (no concurrency: a person's wait
for one page), the pages interleaved round by round so a slow moment of the machine is spread
over all of them, after `--warmup` untimed rounds:

- `/health/live` (baseline), `/masuk` (sign-in page), `/katalog` (public catalogue), `/dasbor`
  (public dashboard), anonymous;
- `/kotak-masuk` (inbox) and `/perkara/{id}` (case page), signed in as the first demo official
  (`--users`) whose inbox holds a case; the case page is left out, with a note, if none does.

Each page's median and p95 are printed with the same figures minus the baseline's; the issue's
goal is every page under 200 ms (judged on p95).

    python -m bench.console_bench [--console http://127.0.0.1:8007] [--requests 200] [--json .bench/console.json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bkpsdm.console.domain.demo import DEMO_PASSWORD

GOAL_MS = 200.0
OFFICIALS = ("admin.desk", "kasubbag", "sekretaris", "kaban", "kabid", "analis", "kabid.informasi", "teknisi")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CASE = re.compile(r'href="/perkara/([0-9a-f-]{36})"')


@dataclass
class Browser:
    """One person's cookies, sent by hand: the console's cookies are `Secure` (`__Host-`), which
    httpx's cookie jar keeps back from a plain-http 127.0.0.1 that browsers treat as secure."""

    client: httpx.Client
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        response = self.client.request(method, path, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, value = header.split(";", 1)[0].partition("=")
            if "max-age=0" in header.lower() or not value.strip('"'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def sign_in(self, username: str, password: str) -> bool:
        self.cookies.clear()
        found = _CSRF.search(self.request("GET", "/masuk").text)
        if found is None:
            return False
        answer = self.request(
            "POST", "/masuk", data={"csrf_token": found.group(1), "username": username, "password": password}
        )
        return answer.status_code == 303 and not answer.headers.get("location", "").startswith("/masuk")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(browser: Browser, path: str) -> float:
    started = time.perf_counter()
    response = browser.request("GET", path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return elapsed


def find_case(
    client: httpx.Client, users: list[str], password: str
) -> tuple[Browser | None, str | None, str]:
    """The first official who signs in and has a case in the inbox: (browser, case id, note)."""
    signed_in: Browser | None = None
    for username in users:
        browser = Browser(client)
        if not browser.sign_in(username, password):
            continue
        signed_in = signed_in or browser
        inbox = browser.request("GET", "/kotak-masuk")
        case = _CASE.search(inbox.text) if inbox.status_code == 200 else None
        if case is not None:
            return browser, case.group(1), f"signed in as {username}"
    if signed_in is None:
        return None, None, "no demo account signs in: run `make demo` (it seeds the demo accounts)"
    return signed_in, None, "no case in any demo official's inbox: run `make demo`; case page left out"


def run(args: argparse.Namespace) -> dict[str, Any]:
    with httpx.Client(base_url=args.console, timeout=30, follow_redirects=False) as client:
        try:
            client.get("/health/live").raise_for_status()
        except httpx.HTTPError as exc:
            print(
                f"console not reachable at {args.console} ({type(exc).__name__}): this bench measures the "
                "running local system; start it with `make up` and seed the demo data with `make demo`.",
                file=sys.stderr,
            )
            raise SystemExit(2) from exc
        anonymous = Browser(client)
        official, case_id, note = find_case(client, list(args.users), args.password)
        pages: list[tuple[str, Browser, str]] = [
            ("baseline /health/live", anonymous, "/health/live"),
            ("sign-in /masuk", anonymous, "/masuk"),
            ("catalogue /katalog", anonymous, "/katalog"),
            ("dashboard /dasbor", anonymous, "/dasbor"),
        ]
        if official is not None:
            pages.append(("inbox /kotak-masuk", official, "/kotak-masuk"))
        if official is not None and case_id is not None:
            pages.append(("case /perkara/{id}", official, f"/perkara/{case_id}"))
        samples: dict[str, list[float]] = {name: [] for name, _, _ in pages}
        for round_number in range(args.warmup + args.requests):
            for name, browser, path in pages:
                elapsed = timed(browser, path)
                if round_number >= args.warmup:
                    samples[name].append(elapsed)
    base = samples["baseline /health/live"]
    base_median, base_p95 = statistics.median(base), percentile(base, 0.95)
    results = {
        name: {
            "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
            "median_over_baseline_ms": round(statistics.median(values) - base_median, 2),
            "p95_over_baseline_ms": round(percentile(values, 0.95) - base_p95, 2),
            "requests": len(values),
        }
        for name, values in samples.items()
    }
    return {"console": args.console, "note": note, "goal_ms": GOAL_MS, "pages": results}


def report(found: dict[str, Any]) -> None:
    print(f"console at {found['console']}; {found['note']}")
    print(
        f"{'page':<22}{'median':>10}{'p95':>10}{'median-base':>14}{'p95-base':>11}  goal p95 < {GOAL_MS:.0f} ms"
    )
    for name, r in found["pages"].items():
        mark = "" if name.startswith("baseline") else ("ok" if r["p95_ms"] < GOAL_MS else "OVER")
        print(
            f"{name:<22}{r['median_ms']:>8.1f}ms{r['p95_ms']:>8.1f}ms"
            f"{r['median_over_baseline_ms']:>12.1f}ms{r['p95_over_baseline_ms']:>9.1f}ms  {mark}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--console", default="http://127.0.0.1:8007", help="the running console's address")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds first")
    parser.add_argument("--users", nargs="+", default=OFFICIALS, help="demo officials to try, in order")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="the demo accounts' password")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    found = run(args)
    report(found)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(found, indent=2) + "\n")


if __name__ == "__main__":
    main()
