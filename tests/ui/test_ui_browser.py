"""The page, driven by Debian's Chromium (headless, via Playwright) against a real ``app.py``
on 127.0.0.1 with the local model."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TURN_MS = 240_000  # one turn of the local model on a busy machine, generously
LOAD_MS = 120_000

pytestmark = [
    pytest.mark.browser, pytest.mark.slow, pytest.mark.server,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing: `apt-get install chromium` (make test does)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(data: Path, index_dir: Path, log_path: Path,
              port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``app.py`` on a loopback port with the local backend; wait for /healthz."""
    port = port or _free_port()
    if not (data / "index").exists():
        (data / "index").symlink_to(index_dir, target_is_directory=True)
    env = dict(os.environ, CHATREC_DATA_DIR=str(data), CHATREC_PORT=str(port),
               CHATREC_BACKEND="local", CHATREC_CATALOG="movies", GRADIO_ANALYTICS_ENABLED="False",
               HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    log = open(log_path, "ab")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("app.py exited:\n" + log_path.read_text()[-3000:])
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise AssertionError("app.py did not come up:\n" + log_path.read_text()[-3000:])


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class App:
    def __init__(self, data: Path, index_dir: Path) -> None:
        self.data, self.index_dir, self.log = data, index_dir, data / "app.log"
        self.proc, self.url = start_app(data, index_dir, self.log)

    def restart(self) -> None:
        """Stop and start again on the same port (browser storage is per origin)."""
        stop_app(self.proc)
        port = urlparse(self.url).port
        self.proc, self.url = start_app(self.data, self.index_dir, self.log, port)


@pytest.fixture(scope="module")
def app(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    a = App(tmp_path_factory.mktemp("uidata"), shared_data_dir / "index")
    try:
        yield a
    finally:
        stop_app(a.proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Page:
    """A browser context (its own localStorage) with a record of every request it made."""

    def __init__(self, browser: Any, app: App, width: int = 1280, height: int = 1000) -> None:
        self.app = app
        self.ctx = browser.new_context(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.ctx.on("request", lambda r: self.requests.append(r.url))
        self.page = self.ctx.new_page()

    def open(self) -> Any:
        self.page.goto(self.app.url + "/")
        self.wait_status("Ready", "Welcome back", "New conversation")
        return self.page

    def status(self) -> str:
        return str(self.page.inner_text("#status"))

    def wait_status(self, *words: str, timeout: float = LOAD_MS) -> None:
        self.page.wait_for_function(
            "words => { const s = document.querySelector('#status');"
            " return !!s && words.some(w => s.innerText.includes(w)); }",
            arg=list(words), timeout=timeout)

    def card_ids(self) -> list[str]:
        return list(self.page.eval_on_selector_all(
            "#cards .chatrec-card", "els => els.filter(e => e.offsetParent !== null)"
            ".map(e => e.dataset.itemId)"))

    def send(self, text: str) -> None:
        """Type a message and press Enter; wait until the turn is answered."""
        n_user = self.page.locator("#chat .user-row").count()
        self.page.fill("#msg textarea", text)
        self.page.press("#msg textarea", "Enter")
        self.page.wait_for_function(
            "([text, n]) => { const s = document.querySelector('#status');"
            " const users = document.querySelectorAll('#chat .user-row');"
            " return !!s && s.innerText.includes('answered by') && users.length > n"
            " && document.querySelector('#chat').innerText.includes(text); }",
            arg=[text, n_user], timeout=TURN_MS)

    def external_requests(self) -> list[str]:
        return [u for u in self.requests
                if urlparse(u).scheme in ("http", "https", "ws", "wss")
                and urlparse(u).hostname not in ("127.0.0.1", "localhost", "::1")]

    def close(self) -> None:
        self.ctx.close()


def test_phone_sized_page_loads_offline_and_explains_empty_input(browser: Any, app: App) -> None:
    p = Page(browser, app, width=390, height=844)
    try:
        page = p.open()
        # a phone-sized window: nothing wider than the screen
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than a phone screen"
        for sel in ("#msg textarea", "#send", "#catalog", "#backend", "#new", "#profile"):
            assert page.locator(sel).first.is_visible(), sel
        # empty input: a clear message, not a stack trace
        page.click("#send")
        p.wait_status("empty")
        assert "Traceback" not in page.content()
        # keyboard: Tab moves through real controls
        page.focus("#msg textarea")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.tagName") in ("BUTTON", "INPUT", "TEXTAREA")
        assert p.external_requests() == []
    finally:
        p.close()


def test_chat_streams_cards_dislike_updates_profile_and_next_reply_then_reload(
        browser: Any, app: App) -> None:
    p = Page(browser, app)
    try:
        page = p.open()
        first = "I loved Interstellar and The Martian, but no horror please"
        page.fill("#msg textarea", first)
        page.press("#msg textarea", "Enter")
        # streamed: text and cards show up while the turn is still running
        page.wait_for_function(
            "() => { const s = document.querySelector('#status');"
            " return !!s && (s.innerText.includes('answering') || s.innerText.includes('thinking'))"
            " && document.querySelector('#chat').innerText.includes('Here are'); }",
            timeout=TURN_MS)
        p.wait_status("answered by", timeout=TURN_MS)
        # the default SmolLM2-135M is not asked (its order is the code's): the page says so
        assert "answered by chatrec (local:" in p.status()
        assert " s" in p.status()  # how long it took
        ids = p.card_ids()
        assert 3 <= len(ids) <= 6, ids
        card = page.locator("#card-0 .chatrec-card")
        assert card.locator("h4").inner_text().strip()
        assert card.locator(".meta").inner_text().strip()  # year / genres / runtime
        assert card.locator(".reason").inner_text().strip()
        assert page.locator("#profile").inner_text().count("Interstellar") == 1

        # dislike the first card, with the keyboard
        title = page.locator("#card-0 h4").inner_text().split(". ", 1)[1]
        page.focus("#card-0-dislike")
        page.keyboard.press("Enter")
        p.wait_status("noted: dislike")
        page.wait_for_function(
            "t => document.querySelector('#profile').innerText.includes(t)", arg=title)
        assert "Not for you" in page.locator("#profile").inner_text()
        assert "disliked" in page.locator("#card-0 .chatrec-card").inner_text()

        second = "something older, from the 90s"
        p.send(second)
        ids2 = p.card_ids()
        assert ids2 and ids[0] not in ids2
        assert title in page.locator("#profile").inner_text()  # still disliked

        # a reload brings the conversation back (session id in browser storage)
        page.reload()
        p.wait_status("Welcome back")
        chat = page.locator("#chat").inner_text()
        assert first in chat and second in chat
        assert p.card_ids() == ids2
        assert title in page.locator("#profile").inner_text()
        assert p.external_requests() == [], p.external_requests()
    finally:
        p.close()


def test_a_fresh_app_keeps_one_conversation_from_the_first_message(
        browser: Any, shared_data_dir: Path, tmp_path: Path) -> None:
    """A freshly started app, a new tab, a message typed as soon as the box takes input, then a
    second one: both turns are in the profile and in one stored session (the first message once
    went to a session of its own, the page then showed another made at the same page load)."""
    from chatrec.store import SQLStore

    (tmp_path / "data").mkdir()
    fresh = App(tmp_path / "data", shared_data_dir / "index")
    p = Page(browser, fresh)
    try:
        page = p.page
        page.goto(fresh.url + "/")
        # fill waits until the box is editable: it is not before the page opened its session
        page.fill("#msg textarea", "I loved Interstellar")
        page.press("#msg textarea", "Enter")
        p.wait_status("answered by", timeout=TURN_MS)
        p.send("no horror please")
        profile = page.locator("#profile").inner_text()
        assert "Interstellar" in profile and "horror" in profile, profile
        store = SQLStore.sqlite(fresh.data / "sessions.sqlite3")
        try:
            sessions = store.list_sessions()
            assert len(sessions) == 1, sessions  # one tab, one conversation, nothing per load
            rec = store.load(sessions[0][0])
            assert rec is not None
            said = [t.text for t in rec.turns if t.role == "user"]
            assert said == ["I loved Interstellar", "no horror please"]
        finally:
            store.close()
        page.reload()
        p.wait_status("Welcome back")
        chat = page.locator("#chat").inner_text()
        assert "I loved Interstellar" in chat and "no horror please" in chat
    finally:
        p.close()
        stop_app(fresh.proc)


def test_profile_panel_add_flip_remove(browser: Any, app: App) -> None:
    p = Page(browser, app, width=1000, height=900)
    try:
        page = p.open()
        page.click("#new")
        p.wait_status("New conversation")
        page.fill("#add-text textarea, #add-text input", "comedy")
        page.click("#add-like")
        p.wait_status("added")
        page.wait_for_function("() => document.querySelector('#profile').innerText"
                               ".includes('You like: comedy')")
        page.locator("#beliefs label", has_text="comedy").click()
        page.click("#flip")
        p.wait_status("changed")
        page.wait_for_function("() => document.querySelector('#profile').innerText"
                               ".includes('Not for you: comedy')")
        page.locator("#beliefs label", has_text="comedy").click()
        page.click("#remove")
        p.wait_status("removed")
        page.wait_for_function("() => !document.querySelector('#profile').innerText"
                               ".includes('comedy')")
        # the novelty knob: lesser-known picks, shown in the profile
        knob = page.locator("#novelty input[type=number]")
        knob.fill("0.8")
        knob.press("Enter")
        p.wait_status("lesser-known")
        page.wait_for_function("() => document.querySelector('#profile').innerText"
                               ".includes('lesser-known picks (80%)')")
        # the edits are stored: a reload shows the same profile
        page.reload()
        p.wait_status("Welcome back", "Ready")
        assert "comedy" not in page.locator("#profile").inner_text()
        assert "lesser-known picks (80%)" in page.locator("#profile").inner_text()
    finally:
        p.close()


def test_conversation_survives_a_server_restart(browser: Any, app: App) -> None:
    p = Page(browser, app)
    try:
        page = p.open()
        page.click("#new")
        p.wait_status("New conversation")
        page.fill("#add-text textarea, #add-text input", "animation")
        page.click("#add-like")
        p.wait_status("added")
        sid = page.evaluate("Object.entries(localStorage).filter(([k]) => k.includes('chatrec'))"
                            ".map(([, v]) => v).join(' ')")
        assert sid
        app.restart()
        page.goto(app.url + "/")
        p.wait_status("Welcome back", "Ready")
        assert "animation" in page.locator("#profile").inner_text()
    finally:
        p.close()


def test_switch_to_the_games_catalog(browser: Any, app: App) -> None:
    """From an empty data dir too: the page builds the games index from its shipped vectors."""
    p = Page(browser, app)
    try:
        page = p.open()
        page.locator("#catalog label", has_text="games").click()
        p.wait_status("New conversation (games)", timeout=600_000)
        assert "Co-op" in page.locator("#examples").inner_text()
        page.click("#example-0")
        # the example fills the box through a Gradio event: wait for it, don't race it
        page.wait_for_function(
            "() => (document.querySelector('#msg textarea') || {}).value?.startsWith('Co-op')",
            timeout=30_000)
        p.send(page.input_value("#msg textarea"))
        assert p.card_ids()
        meta = page.locator("#card-0 .meta").inner_text()
        assert "$" in meta or "Free" in meta, meta
        page.reload()
        p.wait_status("Welcome back")
        assert page.locator("#catalog input[value='games']").is_checked()
        assert p.external_requests() == []
    finally:
        p.close()


def test_remember_me_imports_a_history_file_and_the_profile_fills(
        browser: Any, app: App, tmp_path: Path) -> None:
    history = tmp_path / "ratings.csv"
    history.write_text("Date,Name,Year,Letterboxd URI,Rating\n"
                       "2024-01-01,Alien,1979,https://boxd.it/a,5\n"
                       "2024-01-02,Heat,1995,https://boxd.it/b,4.5\n"
                       "2024-01-03,Titanic,1997,https://boxd.it/c,1\n")
    p = Page(browser, app)
    try:
        page = p.open()
        page.fill("#user-name input, #user-name textarea", "browser-ana")
        page.click("#remember")
        p.wait_status("Remembered as browser-ana")
        page.locator("#history-upload").locator("xpath=..").locator(
            "input[type=file]").set_input_files(str(history))
        p.wait_status("imported 3 of 3 rows")
        page.wait_for_function("() => { const t = document.querySelector('#profile').innerText;"
                               " return t.includes('Alien (1979)') && t.includes('Heat (1995)')"
                               " && t.includes('Not for you: Titanic (1997)'); }")
        assert "3 linked" in page.locator("#user-note").inner_text()
        # remembered in this browser: a reload starts from the same profile
        page.reload()
        p.wait_status("Welcome back")
        assert "Alien (1979)" in page.locator("#profile").inner_text()
        assert page.locator("#user-name input, #user-name textarea").first.input_value() == \
            "browser-ana"
        page.click("#export")
        p.wait_status("your data")
        link = page.locator("#export-file a[download='chatrec-my-data.json']")
        link.wait_for(timeout=LOAD_MS)
        data = page.request.get(str(link.get_attribute("href"))).json()
        assert data["user_id"] == "browser-ana" and "movies" in data["profiles"]
        page.click("#forget")
        p.wait_status("Forgot browser-ana")
        assert "Alien" not in page.locator("#profile").inner_text()
    finally:
        p.close()
