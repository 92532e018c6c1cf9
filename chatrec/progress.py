"""A tqdm progress bar as a ``(done, total)`` callback, for index builds and imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Progress = Callable[[int, int], None]


def tqdm_progress(label: str) -> Progress:
    """A callback that draws one bar, created on the first call and closed when done."""
    from tqdm import tqdm

    bar: Any = None

    def cb(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit="item")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return cb
