"""The page's HTML pieces: item cards, the profile panel, chat history; every value escaped
(catalog text and model output are data)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from chatrec.profile import attr_labels, latest_labels
from chatrec.types import Pick

if TYPE_CHECKING:
    from chatrec.catalog import Catalog

EXAMPLES = {
    "movies": ["I loved Interstellar and The Martian, but no horror please",
               "Something light and funny from the 90s, under two hours",
               "A mind-bending thriller like Inception"],
    "games": ["Co-op games like Portal 2, under $10",
              "A relaxing farming game like Stardew Valley",
              "Roguelike with great reviews, no early access"],
}

CSS = """
#cards {display: grid !important; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
  gap: 10px;}
.chatrec-slot {border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 10px;
  background: var(--background-fill-secondary);}
.chatrec-card h4 {margin: 0 0 4px 0; font-size: 1rem;}
.chatrec-card .meta {font-size: .82rem; opacity: .8; margin-bottom: 6px;}
.chatrec-card .reason {font-size: .9rem;}
.chatrec-card .src {font-size: .72rem; opacity: .6; margin-top: 6px;}
.chatrec-card .fb {font-size: .8rem; font-weight: 600; margin-top: 4px;}
.chatrec-fb button {min-width: 0 !important;}
#profile .none {opacity: .7;}
#profile ul {margin: 0; padding-left: 1.1em;}
@media (max-width: 640px) {
  .chatrec-slot {padding: 6px;}
  #chat {height: 320px !important;}
}
"""

SOURCE_NOTE = {"llm": "chosen and explained by the language model",
           "llm-order": "chosen by the language model; reason by chatrec",
           "code": "chosen and explained by chatrec's ranking"}
FEEDBACK_NOTE = {"like": "✓ You liked this: more like it next time.",
                  "dislike": "✗ You disliked this: it won't be recommended again.",
                  "seen": "Marked as seen: it won't be recommended again."}



def card_html(pick: Pick, catalog: Catalog, n: int, feedback: str | None = None) -> str:
    """One item card; every value is escaped (catalog text and model output are data)."""
    item = catalog.get(pick.item_id)
    meta = " · ".join(html.escape(v) for v in catalog.display_meta(item).values()) \
        if item else ""
    link = catalog.link(pick.item_id) if item else None
    title = html.escape(pick.title)
    if link and link.startswith(("https://", "http://")):
        title = (f'<a href="{html.escape(link, quote=True)}" target="_blank" '
                 f'rel="noopener noreferrer">{title}</a>')
    src = SOURCE_NOTE.get(pick.source, pick.source)
    fb = f'<div class="fb">{html.escape(FEEDBACK_NOTE[feedback])}</div>' if feedback else ""
    return (f'<div class="chatrec-card" data-item-id="{html.escape(pick.item_id, quote=True)}">'
            f"<h4>{n}. {title}</h4><div class=\"meta\">{meta}</div>"
            f'<div class="reason">{html.escape(pick.reason)}</div>'
            f'<div class="src">{html.escape(src)}</div>{fb}</div>')



def history_messages(session: Any) -> list[dict[str, str]]:
    msgs = []
    for t in session.history:
        if t.role in ("user", "assistant"):
            msgs.append({"role": t.role, "content": t.text})
    return msgs


ENTRIES_PER_KIND = 30  # an imported history offers its latest items to edit, not thousands


def profile_entries(prefs: Any) -> list[tuple[str, str]]:
    """(label, key) for every belief in the profile (the latest ``ENTRIES_PER_KIND`` liked,
    disliked and seen items); the key says how to remove or flip it."""
    out: list[tuple[str, str]] = []
    for k, f in prefs.liked_attrs.items():
        out.append((f"like: {f.label or k}", f"like_attr:{k}"))
    for k, f in list(prefs.liked_items.items())[-ENTRIES_PER_KIND:]:
        out.append((f"liked: {f.label or k}", f"like_item:{k}"))
    for k, f in prefs.disliked_attrs.items():
        out.append((f"not: {f.label or k}", f"dislike_attr:{k}"))
    for k, f in list(prefs.disliked_items.items())[-ENTRIES_PER_KIND:]:
        out.append((f"not: {f.label or k}", f"dislike_item:{k}"))
    for c in prefs.constraints.values():
        out.append((f"limit: {c.describe()}", f"constraint:{c.field}"))
    for k, f in list(prefs.seen_items.items())[-ENTRIES_PER_KIND:]:
        out.append((f"seen: {f.label or k}", f"seen:{k}"))
    return out


def profile_html(prefs: Any) -> str:
    """What chatrec believes, in plain words, as escaped HTML."""
    groups = [("You like", attr_labels(prefs.liked_attrs)
               + latest_labels([f.label or k for k, f in prefs.liked_items.items()])),
              ("Not for you", attr_labels(prefs.disliked_attrs)
               + latest_labels([f.label or k for k, f in prefs.disliked_items.items()])),
              ("Limits", [c.describe() for c in prefs.constraints.values()]),
              ("Already seen", latest_labels([f.label or k for k, f in prefs.seen_items.items()])),
              ("Leaning", [f"lesser-known picks ({prefs.novelty:.0%})"]
               if getattr(prefs, "novelty", 0) > 0 else [])]
    rows = [f"<li><b>{name}:</b> {html.escape(', '.join(vals))}</li>" for name, vals in groups if vals]
    if not rows:
        return '<p class="none">Nothing yet: tell me what you like.</p>'
    return "<ul>" + "".join(rows) + "</ul>"



def status_html(text: str) -> str:
    return html.escape(text)
