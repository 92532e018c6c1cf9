"""One user of a recommender: a profile carried into each of their conversations, history
import, export and forget. Made by :meth:`chatrec.recommender.Recommender.user`.

>>> me = rec.user("alice")
>>> report = me.import_history("ratings.csv")     # Letterboxd, IMDb, Trakt, MovieLens, titles
>>> s = me.session()                              # starts from alice's likes, never shows seen
>>> me.export()                                   # everything stored about alice, as JSON data
>>> me.forget()                                   # deletes it all, her sessions included
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatrec.errors import InputError
from chatrec.profile import Preferences
from chatrec.users.carry import UserLink, carried, empty, start_from
from chatrec.users.history import History, read_history
from chatrec.users.linking import Ambiguous, HistoryLinker, ImportReport, Linked

if TYPE_CHECKING:
    from chatrec.recommender import Recommender
    from chatrec.session import Session

LIKE_AT = 4.0  # a rating (0.5-5 scale) at or above this becomes a like
DISLIKE_AT = 2.0  # at or below this, a dislike
EXPORT_VERSION = 1


class User:
    """A user's profile in one recommender's catalog, and everything stored about them."""

    def __init__(self, rec: Recommender, user_id: str) -> None:
        self.rec = rec
        self.user_id = user_id
        self.link = UserLink(rec.store, user_id, rec.catalog.name)

    def __repr__(self) -> str:
        return f"User({self.user_id!r}, catalog={self.rec.catalog.name!r})"

    # --- the profile --------------------------------------------------------------------
    @property
    def preferences(self) -> Preferences:
        """What a new conversation of this user starts from."""
        return start_from(self.link.profile())

    def describe_preferences(self) -> str:
        return self.preferences.describe(self.rec.catalog)

    def session(self, session_id: str | None = None) -> Session:
        """A new conversation of this user (from their profile), or their stored one."""
        return self.rec.session(session_id, user=self.user_id)

    def sessions(self) -> list[str]:
        """This user's conversations (ids, oldest first), in every catalog."""
        return self.rec.store.user_sessions(self.user_id)

    # --- history import -------------------------------------------------------------------
    def import_history(self, path: str | Path, *, like_at: float = LIKE_AT,
                       dislike_at: float = DISLIKE_AT) -> ImportReport:
        """Read a watch-history export (see :mod:`chatrec.users.history` for the formats),
        link its rows to the catalog and add them to the profile in one transaction: every
        linked item becomes seen, ratings >= ``like_at`` likes and <= ``dislike_at`` dislikes
        (0.5-5 scale). Nothing is added when the file is refused (:class:`InputError`)."""
        return self.import_rows(read_history(path), Path(path).name, like_at=like_at,
                                dislike_at=dislike_at)

    def import_rows(self, history: History, name: str, *, like_at: float = LIKE_AT,
                    dislike_at: float = DISLIKE_AT) -> ImportReport:
        """:meth:`import_history` for rows already read (``name`` labels the report)."""
        if not 0.5 <= dislike_at < like_at <= 5:
            raise InputError("like_at and dislike_at are ratings on the 0.5-5 scale, "
                             "dislike_at below like_at")
        report = ImportReport(name, history.format, len(history.rows) + len(history.bad_rows),
                              bad_rows=list(history.bad_rows))
        if not history.rows:
            raise InputError(f"{name}: no row could be read ({len(history.bad_rows)} bad; first: "
                             f"{history.bad_rows[0] if history.bad_rows else 'none'}); "
                             "nothing was imported")
        linker = HistoryLinker(self.rec.catalog, self.rec.understander.titles)
        for row in history.rows:
            got = linker.link(row)
            if isinstance(got, Linked):
                report.linked.append(got)
            elif isinstance(got, Ambiguous):
                report.ambiguous.append(got)
            else:
                report.missing.append(got)

        def change(state: dict[str, Any]) -> dict[str, Any]:
            prefs = Preferences.from_dict({**empty(), **state.get("prefs", {})})
            likes: set[str] = set()
            dislikes: set[str] = set()
            for got in sorted(report.linked, key=lambda g: g.when):  # oldest first: the
                iid, label = got.item_id, got.title                # latest weigh most
                prefs.seen_items.pop(iid, None)
                prefs.mark_seen(iid, label, 0, "import")
                if got.rating is None:
                    continue
                if got.rating >= like_at:
                    prefs.liked_items.pop(iid, None)
                    prefs.like_item(iid, label, 0, "import")
                    likes.add(iid)
                    dislikes.discard(iid)
                elif got.rating <= dislike_at:
                    prefs.dislike_item(iid, label, 0, "import")
                    dislikes.add(iid)
                    likes.discard(iid)
            report.likes, report.dislikes = len(likes), len(dislikes)
            report.seen = len({g.item_id for g in report.linked})
            log = [*state.get("imports", []), {**report.counts(), "at": time.time()}]
            return {**state, "prefs": carried(prefs), "imports": log}

        self.rec.store.update_user(self.user_id, self.rec.catalog.name, change)
        return report

    # --- control of the data --------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """Everything stored about this user, as JSON-ready data: their profile and import log
        in every catalog, and every conversation of theirs with all its turns."""
        store = self.rec.store
        profiles = {r.catalog: {**r.state, "created": r.created, "updated": r.updated}
                    for r in store.user_records(self.user_id)}
        sessions = []
        for sid in store.user_sessions(self.user_id):
            rec = store.load(sid)
            if rec is None:
                continue
            sessions.append({
                "session_id": rec.session_id, "catalog": rec.catalog, "created": rec.created,
                "updated": rec.updated, "state": rec.state,
                "turns": [{"idx": t.idx, "role": t.role, "text": t.text, "reply": t.reply,
                           "ts": t.ts} for t in rec.turns]})
        return {"chatrec_user_export": EXPORT_VERSION, "user_id": self.user_id,
                "exported_at": time.time(), "profiles": profiles, "sessions": sessions}

    def forget(self) -> int:
        """Delete everything stored about this user (profiles, import log, conversations and
        their turns) in every catalog; returns how many conversations were deleted."""
        return self.rec.store.delete_user(self.user_id)
