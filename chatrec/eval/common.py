"""What every evaluation suite shares: how it builds its Recommender and where indexes live."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatrec.recommender import Recommender


def make_recommender(catalog: str, backend: str, data_dir: str | Path,
                     **parts: Any) -> Recommender:
    """A Recommender for offline runs: sessions in memory, the scripted fake for ``"fake"``, no
    LLM deadline (an evaluation scores the model's answer, whatever the machine's load);
    ``parts``: constructor overrides (``collab=``, ``generator=``...)."""
    from chatrec.recommender import Recommender
    from chatrec.settings import Settings
    from chatrec.store import MemoryStore

    settings = Settings.load(env={}, data_dir=str(data_dir), llm_deadline_s=0)
    llm = None
    if backend == "fake":
        from chatrec.llm.fake import FakeLLM

        llm = FakeLLM()
    return Recommender(catalog=catalog, backend=backend, settings=settings, store=MemoryStore(),
                       llm=llm, **parts)


def default_data_dir() -> str:
    """The app's data dir (``CHATREC_DATA_DIR``): its indexes are reused (their names carry the
    catalog's content hash, so a stale one is never read)."""
    from chatrec.settings import Settings

    return str(Settings.load().data_dir)


def run_main(prog: str, doc: str | None, add_arguments: Callable[[argparse.ArgumentParser], None],
             argv: list[str] | None = None) -> int:
    """The ``python -m chatrec.eval.<suite>`` entry point every suite shares."""
    p = argparse.ArgumentParser(prog=prog, description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    args = p.parse_args(argv)
    return int(args.func(args))
