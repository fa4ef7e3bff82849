"""Page budget: bytes and requests per patient-facing page, then Lighthouse scores.

Starts the app as the browser tests do (gunicorn with 2 workers and the worker, a fresh
SQLite database seeded with the demo clinic), then loads each page in a fresh phone-sized
Chromium context (cold cache), counting every request and the bytes it moved (headers plus
body as sent over the wire, i.e. compressed). Budget: at most 50 KB and 6 requests per page,
and no request to any host but the app's. Then Lighthouse 12.2.3 (npm, from node_modules)
scores home, a service page, the time picker and a manage page.

Run with ``make bench`` (which installs Chromium, Playwright and the npm tools if missing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _results  # noqa: E402

BUDGET_BYTES = 50 * 1024
BUDGET_REQUESTS = 6
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_TARGETS = {"performance": 98, "accessibility": 100, "best-practices": 100, "seo": 95}


def measure(browser, url: str, storage_state=None) -> dict:
    """Load ``url`` in a cold context; return requests, bytes and any foreign hosts."""
    from tests.e2e.conftest import PHONE

    context = browser.new_context(viewport=PHONE, storage_state=storage_state)
    page = context.new_page()
    finished: list = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.on("requestfailed", lambda request: finished.append(request))
    page.goto(url, wait_until="networkidle")
    total = 0
    hosts = set()
    for request in finished:
        sizes = request.sizes()
        total += sizes["responseHeadersSize"] + max(sizes["responseBodySize"], 0)
        hosts.add(urlsplit(request.url).netloc)
    context.close()
    return {"requests": len(finished), "bytes": total, "hosts": hosts}


def walk_and_measure(browser, server) -> list[tuple[str, dict]]:
    """Measure the public pages, then each booking step as a patient reaches it."""
    from tests.e2e.conftest import PHONE, manage_link
    from tests.e2e.flows import answer_health, choose_treatment, fill_details, new_email

    base = server.url
    slug = server.sql("SELECT slug FROM services WHERE active ORDER BY position LIMIT 1")[0][0]
    rows = []
    for path in (
        "/",
        "/services",
        f"/services/{slug}",
        "/back-pain",
        "/severe-pain",
        "/therapists",
        "/visit",
        "/privacy",
    ):
        rows.append((path, measure(browser, base + path)))

    context = browser.new_context(viewport=PHONE, base_url=base)
    page = context.new_page()
    page.goto("/book/")
    rows.append(("/book/", measure(browser, base + "/book/", context.storage_state())))
    choose_treatment(page)
    rows.append(("/book/health", measure(browser, base + "/book/health", context.storage_state())))
    answer_health(page, pain=3)
    page.wait_for_url("**/book/time")
    rows.append(("/book/time", measure(browser, base + "/book/time", context.storage_state())))
    page.get_by_role("link", name=re.compile("Later")).click()
    page.locator("button.time-button").first.click()
    page.wait_for_url("**/book/details")
    rows.append(("/book/details", measure(browser, page.url, context.storage_state())))
    email = new_email("bench")
    fill_details(page, name="Ben Bench", email=email)
    rows.append(("/book/review", measure(browser, page.url, context.storage_state())))
    page.locator("form button.button-primary").click()
    page.wait_for_url("**/book/done/**")
    rows.append(("/book/done/<ref>", measure(browser, page.url, context.storage_state())))
    manage = manage_link(server.wait_for_email(email, "booked"))
    rows.append(("/manage/<token>", measure(browser, manage)))
    rows.append(("/manage/<token>/reschedule", measure(browser, manage + "/reschedule")))
    rows.append(("/manage/<token>/cancel", measure(browser, manage + "/cancel")))
    context.close()
    # A fresh draft at the time picker, for Lighthouse (the one above has been booked).
    context = browser.new_context(viewport=PHONE, base_url=base)
    page = context.new_page()
    choose_treatment(page)
    answer_health(page, pain=3)
    page.wait_for_url("**/book/time")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    context.close()
    return rows, {
        "home": (base + "/", None),
        "service": (f"{base}/services/{slug}", None),
        "picker": (base + "/book/time", cookie),
        "manage": (manage, None),
    }


def print_budget(rows) -> bool:
    print(f"{'page':28} {'requests':>8} {'KB':>7}  budget ({BUDGET_REQUESTS} req, 50 KB)")
    within = True
    for path, row in rows:
        foreign = {h for h in row["hosts"] if not h.startswith(("127.0.0.1", "localhost"))}
        ok = row["requests"] <= BUDGET_REQUESTS and row["bytes"] <= BUDGET_BYTES and not foreign
        within &= ok
        note = (
            "ok" if ok else "OVER" + (f" (left the machine: {sorted(foreign)})" if foreign else "")
        )
        print(f"{path:28} {row['requests']:>8} {row['bytes'] / 1024:>7.1f}  {note}")
    print("All pages within budget." if within else "Some pages are over budget.")
    return within


def kept_out_of_search(url: str, cookie: str | None) -> bool:
    """Whether the page answers with an X-Robots-Tag saying noindex."""
    headers = {"Cookie": cookie} if cookie else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        return "noindex" in (r.headers.get("X-Robots-Tag") or "")


def lighthouse(targets: dict) -> dict[str, dict[str, int]]:
    """Score each page in ``targets``; return the scores of the pages Lighthouse could run."""
    scored: dict[str, dict[str, int]] = {}
    chromium = os.environ.get("BOOKING_E2E_CHROMIUM", "/usr/bin/chromium")
    if not LIGHTHOUSE.exists():
        print(f"Lighthouse not run: {LIGHTHOUSE} is missing (run `npm ci`).")
        return scored
    if shutil.which("node") is None:
        print("Lighthouse not run: node is not installed.")
        return scored
    flags = (
        "--headless --no-sandbox --disable-gpu --disable-background-networking "
        "--disable-component-update --disable-quic --no-first-run --disable-sync"
    )
    print()
    print(f"Lighthouse 12.2.3 (mobile, simulated throttling); targets {LIGHTHOUSE_TARGETS}")
    print(f"{'page':10} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (url, cookie) in targets.items():
            out = Path(tmp) / f"{name}.json"
            command = [
                str(LIGHTHOUSE),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={out}",
                f"--chrome-flags={flags}",
                "--only-categories=performance,accessibility,best-practices,seo",
            ]
            if cookie:
                command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
            if kept_out_of_search(url, cookie):
                # Personal and token pages tell search engines to stay away on purpose: being
                # crawlable is not a goal there, so that one audit is not scored.
                command.append("--skip-audits=is-crawlable")
                print(f"{name:10} (noindex by design: the is-crawlable audit is skipped)")
            result = subprocess.run(
                command,
                env={**os.environ, "CHROME_PATH": chromium},
                capture_output=True,
                text=True,
                timeout=240,
            )
            if result.returncode != 0 or not out.exists():
                reason = (result.stderr or result.stdout).strip().splitlines()[-3:]
                print(f"{name:10} Lighthouse failed: {' | '.join(reason)}")
                continue
            report = json.loads(out.read_text())
            final = report.get("finalDisplayedUrl", url)
            if final.split("?")[0] != url.split("?")[0]:
                print(f"{name:10} (redirected to {final})")
            scores = {
                key: round((category["score"] or 0) * 100)
                for key, category in report["categories"].items()
            }
            scored[name] = scores
            print(
                f"{name:10} {scores.get('performance', 0):>5} {scores.get('accessibility', 0):>5} "
                f"{scores.get('best-practices', 0):>5} {scores.get('seo', 0):>5}"
            )
            below = [
                f"{key} {scores.get(key)}<{target}"
                for key, target in LIGHTHOUSE_TARGETS.items()
                if scores.get(key, 0) < target
            ]
            for key in ("accessibility", "best-practices", "seo", "performance"):
                if scores.get(key, 100) < LIGHTHOUSE_TARGETS[key]:
                    failing = [
                        audit_id
                        for audit_id in (
                            ref["id"] for ref in report["categories"][key]["auditRefs"]
                        )
                        if (report["audits"][audit_id].get("score") is not None)
                        and report["audits"][audit_id]["score"] < 1
                        and report["audits"][audit_id].get("scoreDisplayMode") == "binary"
                    ]
                    if failing:
                        print(f"{'':10} {key}: {', '.join(failing[:8])}")
            if below:
                print(f"{'':10} below target: {', '.join(below)}")
    return scored


def record(rows, scored: dict[str, dict[str, int]], pages_wanted: int) -> None:
    """Hand the budget and the scores to the summary table."""
    most_requests = max(row["requests"] for _, row in rows)
    most_bytes = max(row["bytes"] for _, row in rows)
    foreign = sorted(
        {h for _, row in rows for h in row["hosts"] if not h.startswith(("127.0.0.1", "localhost"))}
    )
    budget_ok = most_requests <= BUDGET_REQUESTS and most_bytes <= BUDGET_BYTES and not foreign
    figures = [
        _results.figure(
            "page_budget",
            f"every patient-facing page as served ({len(rows)} pages): most requests and bytes "
            "against the budget, hosts other than the app's",
            f"{most_requests} requests / {BUDGET_REQUESTS}, {most_bytes / 1024:.1f} KB / "
            f"{BUDGET_BYTES // 1024} KB; other hosts: {', '.join(foreign) or 'none'}",
            value=most_bytes / BUDGET_BYTES,
            target=f"<= {BUDGET_REQUESTS} requests, <= {BUDGET_BYTES // 1024} KB, none",
            met=budget_ok,
        )
    ]
    lowest = {
        key: min(scores.get(key, 0) for scores in scored.values()) for key in LIGHTHOUSE_TARGETS
    }
    complete = len(scored) == pages_wanted
    figures.append(
        _results.figure(
            "lighthouse",
            f"Lighthouse 12.2.3 (mobile), lowest score over {', '.join(scored) or 'no page'}"
            + ("" if complete else f" ({pages_wanted - len(scored)} pages not scored)"),
            ", ".join(f"{key} {score}" for key, score in lowest.items()) if scored else "not run",
            target=", ".join(f"{key} >= {t}" for key, t in LIGHTHOUSE_TARGETS.items()),
            met=complete
            and all(lowest[key] >= target for key, target in LIGHTHOUSE_TARGETS.items()),
        )
    )
    _results.write("pages", figures, database="sqlite")


def main() -> int:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

    if not Path(CHROMIUM).exists():
        print(f"Page budget not measured: {CHROMIUM} is missing (make bench installs it).")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                rows, targets = walk_and_measure(browser, server)
                browser.close()
            print_budget(rows)
            record(rows, lighthouse(targets), len(targets))
        finally:
            stop_server(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
