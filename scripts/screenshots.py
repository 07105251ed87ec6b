"""Screenshots of the key pages, for the README and the documentation (``make screenshots``).

Builds the demo in a scratch SQLite database (the same ``twofold demo`` a new user runs), serves it,
signs in as each demo role in Debian's Chromium and saves PNGs under ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "twofold-demo"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    work = Path(tempfile.mkdtemp(prefix="twofold-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'demo.sqlite3'}",
        "TWOFOLD_VAR_DIR": str(work),
        "TWOFOLD_TASKS_IMMEDIATE": "1",
    }
    twofold = [sys.executable, "-m", "twofold"]
    subprocess.run([*twofold, "demo"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [*twofold, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)

            def shoot(username: str, shots: list[tuple[str, str]], *, width: int = 1280) -> None:
                context = browser.new_context(base_url=base, viewport={"width": width, "height": 1000})
                page = context.new_page()
                page.goto("/login/")
                page.get_by_label("Username").fill(username)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("networkidle")
                for name, path in shots:
                    if path.startswith("click:"):
                        # An action first (e.g. a partial re-match, so the board has a run under review).
                        where, _, button = path.removeprefix("click:").partition("|")
                        page.goto(where)
                        page.get_by_role("button", name=button).click()
                    elif path.startswith("first-link-to:"):
                        # Pages whose address the demo decides (the junior's relationship): follow the link.
                        page.goto("/programmes/mine/")
                        page.locator(f"a[href^='{path.removeprefix('first-link-to:')}']").first.click()
                    else:
                        page.goto(path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=width < 600)
                    print(f"saved docs/screenshots/{name}.png")
                context.close()

            shoot(
                "manager",
                [
                    ("programmes", "/programmes/"),
                    ("programme", "/programmes/1/"),
                    ("review-board", "click:/programmes/1/runs/|Match the people still without a partner"),
                    ("health", "/programmes/1/health/"),
                    ("pairs", "/programmes/1/pairs/"),
                    ("insights-programme", "/insights/programmes/1/"),
                    ("enrolments", "/programmes/2/enrolments/"),
                    ("emails", "/programmes/1/emails/"),
                    ("directory", "/people/"),
                    ("import", "/people/import/"),
                ],
            )
            shoot("junior", [("my-programmes", "/programmes/mine/"), ("relationship", "first-link-to:/relationships/")])
            shoot("executive", [("overview", "/insights/")])
            shoot("junior", [("phone-my-programmes", "/programmes/mine/")], width=390)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
