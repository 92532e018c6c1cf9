"""The page's pure parts: cards, profile panel, browser-storage key, backend list, page build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatrec.profile import Constraint, Preferences
from chatrec.settings import Settings
from chatrec.types import Item, Pick
from chatrec.ui.html import card_html, profile_entries, profile_html
from chatrec.ui.state import AppState, browser_secret

EVIL = '<img src=x onerror="alert(1)">'


class _Catalog:
    def __init__(self, item: Item, link: str | None) -> None:
        self.item, self._link = item, link

    def get(self, item_id: str) -> Item | None:
        return self.item if item_id == self.item.id else None

    def display_meta(self, item: Item) -> dict[str, str]:
        return {"Year": "2014", "Genres": f"Sci-Fi, {EVIL}", "Runtime": "169 min"}

    def link(self, item_id: str) -> str | None:
        return self._link


def _catalog(link: str | None) -> Any:
    return _Catalog(Item("1", "Interstellar", "", meta={"year": 2014}), link)


def test_card_escapes_every_catalog_and_model_value() -> None:
    pick = Pick("1", f"Interstellar {EVIL}", f"because {EVIL}", 1.0, "llm")
    out = card_html(pick, _catalog("https://example.org/m?a=1&b=\"2\""), 1)
    assert "<img" not in out and "&lt;img" in out
    assert 'href="https://example.org/m?a=1&amp;b=&quot;2&quot;"' in out
    assert 'rel="noopener noreferrer"' in out
    assert "2014" in out and "169 min" in out
    assert "language model" in out


def test_card_links_only_to_http_urls_and_notes_feedback() -> None:
    pick = Pick("1", "Interstellar", "space", 1.0)
    assert "<a " not in card_html(pick, _catalog("javascript:alert(1)"), 1)
    assert "recommended again" in card_html(pick, _catalog(None), 1, feedback="dislike")


def test_profile_panel_in_plain_words_with_editable_entries() -> None:
    p = Preferences()
    p.like_attr("space", 1)
    p.like_item("1", "Interstellar (2014)", 1)
    p.dislike_attr("horror", 1)
    p.dislike_item("2", EVIL, 1)
    p.set_constraint(Constraint("year", "min", 1990, 1))
    p.mark_seen("3", "Alien (1979)", 1)
    out = profile_html(p)
    assert "You like:</b> space, Interstellar (2014)" in out
    assert "Not for you:" in out and "&lt;img" in out and "<img" not in out
    assert "year 1990+" in out and "Alien (1979)" in out
    keys = [k for _, k in profile_entries(p)]
    assert keys == ["like_attr:space", "like_item:1", "dislike_attr:horror", "dislike_item:2",
                    "constraint:year", "seen:3"]
    assert "Nothing yet" in profile_html(Preferences())


def test_browser_secret_is_stable_and_private(tmp_path: Path) -> None:
    s = Settings.load(env={}, data_dir=str(tmp_path))
    a, b = browser_secret(s), browser_secret(s)
    assert a and a == b and len(a) >= 16
    assert (tmp_path / "ui_secret").stat().st_mode & 0o077 == 0


def test_backends_offer_openai_only_when_configured(tmp_path: Path) -> None:
    assert AppState(Settings.load(env={}, data_dir=str(tmp_path))).backends() == ["local"]
    s = Settings.load(env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, data_dir=str(tmp_path))
    assert any(b.startswith("openai:") for b in AppState(s).backends())


def test_page_builds_without_loading_a_catalog(tmp_path: Path) -> None:
    from chatrec.ui import build

    state = AppState(Settings.load(env={}, data_dir=str(tmp_path)))
    demo = build(state.settings, state)
    assert demo is not None
    assert not state.loaded("movies", "local")
