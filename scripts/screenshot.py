"""Take docs/screenshot.png: start app.py on loopback, hold a real conversation with the local
model in headless Chromium, and photograph the page.

    .venv/bin/python scripts/screenshot.py [--index-dir DIR] [--out docs/screenshot.png]

The index is reused from ``--index-dir`` (default: ``$CHATREC_DATA_DIR/index`` or the test
cache); sessions go to a throw-away data directory.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MESSAGES = ["I loved Interstellar and The Martian, but no horror please",
            "something older, from the 90s"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_status(page, words: list[str], timeout: float = 300_000) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "words => { const s = document.querySelector('#status');"
        " return !!s && words.some(w => s.innerText.includes(w)); }", arg=words, timeout=timeout)


def main() -> int:
    data_dir = os.environ.get("CHATREC_DATA_DIR", Path.home() / ".local" / "share" / "chatrec")
    default_index = Path(data_dir) / "index"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", type=Path, default=default_index)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        if args.index_dir.is_dir():
            (data / "index").symlink_to(args.index_dir.resolve(), target_is_directory=True)
        port = _free_port()
        env = dict(os.environ, CHATREC_DATA_DIR=str(data), CHATREC_PORT=str(port),
                   CHATREC_BACKEND="local", CHATREC_CATALOG="movies",
                   GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
        log = open(data / "app.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 900
            while True:
                if proc.poll() is not None or time.time() > deadline:
                    print((data / "app.log").read_text()[-3000:], file=sys.stderr)
                    return 1
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=2):
                        break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": args.width, "height": args.height})
                page.goto(url + "/")
                _wait_status(page, ["Ready", "Welcome back"])
                for n, msg in enumerate(MESSAGES):
                    page.fill("#msg textarea", msg)
                    page.press("#msg textarea", "Enter")
                    page.wait_for_function(
                        "([m, n]) => document.querySelectorAll('#chat .user-row').length > n"
                        " && document.querySelector('#status').innerText.includes('answered by')",
                        arg=[msg, n], timeout=600_000)
                    if n == 0:  # dislike the first pick, so the profile shows it
                        page.click("#card-0-dislike")
                        _wait_status(page, ["noted"])
                page.evaluate("document.querySelector('#msg textarea').blur()")
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
            print(f"wrote {args.out}")
            return 0
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


if __name__ == "__main__":
    sys.exit(main())
