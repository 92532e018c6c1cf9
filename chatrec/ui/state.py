"""What the server keeps between requests: one Recommender per (catalog, backend), and the key
that signs the session id kept in browser storage."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from chatrec.settings import Settings

if TYPE_CHECKING:
    from chatrec.recommender import Recommender

log = logging.getLogger(__name__)


class AppState:
    """One Recommender per (catalog, backend), shared by every browser session."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._recs: dict[tuple[str, str], Recommender] = {}
        self._lock = threading.Lock()

    def rec(self, catalog: str, backend: str,
            progress: Callable[[str], None] | None = None) -> Recommender:
        """The recommender of (catalog, backend), made and warmed (Recommender.warm) on first
        use, so that a catalog or model chosen on the page answers its first message as fast as
        the next ones (the switch itself takes the loading time). ``progress``: as warm's."""
        from chatrec.recommender import Recommender

        key = (catalog, backend)
        with self._lock:
            r = self._recs.get(key)
            made = r is None
            if r is None:
                r = Recommender(catalog=catalog, backend=backend, settings=self.settings)
                self._recs[key] = r
        if made:  # outside the lock: other catalogs keep answering meanwhile
            r.warm(progress)
        return r

    def backends(self) -> list[str]:
        out = ["local"]
        if self.settings.openai_api_key or self.settings.openai_base_url:
            out.append(f"openai:{self.settings.openai_model}")
        if self.settings.backend not in out:
            out.append(self.settings.backend)
        return out

    def loaded(self, catalog: str, backend: str) -> bool:
        with self._lock:
            return (catalog, backend) in self._recs

    def session_catalog(self, sid: str) -> str | None:
        """The catalog a stored session belongs to (None if unknown)."""
        with self._lock:
            recs = list(self._recs.values())
        for r in recs:
            rec = r.store.load(sid)
            if rec is not None:
                return str(rec.catalog)
        return None



def browser_secret(settings: Settings) -> str | None:
    """A per-installation key for the session id kept in browser storage, stable across server
    restarts (Gradio's default is random per process, which would forget every conversation)."""
    path = Path(settings.data_dir) / "ui_secret"
    try:
        if path.is_file():
            key = path.read_text().strip()
            if len(key) >= 16:
                return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key
    except OSError as e:
        log.warning("cannot keep the browser-storage key in %s (%s): conversations will not "
                    "survive a server restart", path, e)
        return None

