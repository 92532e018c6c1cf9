"""The figures of ``python -m chatrec.eval bench``: targets, the Markdown table, the machine line.

Pure apart from :func:`machine_line` (which reads the machine) and :func:`write_section`.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chatrec.settings import REPO_DIR

BEGIN = "<!-- bench:begin (written by python -m chatrec.eval bench) -->"
END = "<!-- bench:end -->"


def percentile(xs: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``xs``, linear between the closest ranks; NaN when empty."""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(xs: Sequence[float]) -> float:
    return percentile(xs, 0.5)


def ratio(a: float, b: float) -> float:
    """``a / b``; NaN when either is missing or ``b`` is not positive."""
    if math.isnan(a) or math.isnan(b) or b <= 0:
        return float("nan")
    return a / b


@dataclass(frozen=True)
class Target:
    """A limit a figure must keep: ``op`` is "<=" or ">=" (``==`` for counts that must match)."""

    op: str
    limit: float

    def met(self, value: float) -> bool | None:
        """True or False; None when the figure is missing (NaN)."""
        if math.isnan(value):
            return None
        if self.op == "<=":
            return value <= self.limit
        if self.op == ">=":
            return value >= self.limit
        return value == self.limit

    def __str__(self) -> str:
        return f"{self.op} {self.limit:g}"


@dataclass(frozen=True)
class Figure:
    """One row of the table: a measured value, how to show it, and its target if it has one."""

    name: str
    value: float
    unit: str = ""  # "s", "MB", "x", "items/s", "" (a count)
    target: Target | None = None
    detail: str = ""  # how it was measured (n, runs, ...)

    def shown(self) -> str:
        if math.isnan(self.value):
            return "not measured"
        if self.unit == "s":
            text = f"{self.value:.3f} s" if self.value < 1 else f"{self.value:.2f} s"
        elif self.unit == "x":
            text = f"{self.value:.2f}x"
        elif self.unit in ("MB", "items/s"):
            text = f"{self.value:,.0f} {self.unit}"
        else:
            text = f"{self.value:g}"
        return f"{text} ({self.detail})" if self.detail else text

    def verdict(self) -> str:
        if self.target is None:
            return ""
        met = self.target.met(self.value)
        return "n/a" if met is None else ("met" if met else "**not met**")

    def target_text(self) -> str:
        if self.target is None:
            return ""
        if self.unit == "x":
            return f"{self.target}x"
        return f"{self.target} {self.unit}".rstrip()


def table(figures: Sequence[Figure]) -> str:
    rows = ["| figure | measured | target | |", "| --- | --- | --- | --- |"]
    rows += [f"| {f.name} | {f.shown()} | {f.target_text()} | {f.verdict()} |" for f in figures]
    return "\n".join(rows)


def summary(figures: Sequence[Figure]) -> str:
    """"k of n targets met", naming the ones that are not."""
    with_target = [f for f in figures if f.target is not None]
    missed = [f.name for f in with_target if f.target is not None
              and f.target.met(f.value) is not True]
    met = len(with_target) - len(missed)
    text = f"{met} of {len(with_target)} targets met"
    return text + (f"; not met or not measured: {'; '.join(missed)}" if missed else "")


def machine_line() -> str:
    """Cores, CPU, memory, Python, load, date and the commit (``+dirty`` for local changes)."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    try:
        load = f", load {os.getloadavg()[0]:.1f} at start"
    except OSError:
        load = ""
    return (f"{os.cpu_count()} cores ({cpu or 'unknown CPU'}){mem}, Python "
            f"{sys.version.split()[0]}, {platform.system()}{load}, "
            f"{time.strftime('%Y-%m-%d %H:%M')}, commit {git_commit()}")


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR, text=True,
                              capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO_DIR, text=True, capture_output=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def markdown(figures: Sequence[Figure], command: str, machine: str,
             notes: Sequence[str] = ()) -> str:
    """The report section: command, machine, the table, the summary, notes."""
    parts = ["# Speed and memory (issue 16 targets)", "",
             f"Command: `{command}`  ", f"Machine: {machine}", "", table(figures), "",
             summary(figures) + "."]
    if notes:
        parts += [""] + [f"- {n}" for n in notes]
    return "\n".join(parts) + "\n"


def write_section(path: Path, text: str) -> None:
    """Put ``text`` between the bench markers of ``path`` (the rest of the file is kept); a file
    without them gets the section on top."""
    block = f"{BEGIN}\n{text.rstrip()}\n{END}\n"
    old = path.read_text() if path.exists() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        new = head + block + ("\n" + tail if tail else "")
    else:
        new = block + ("\n" + old if old else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)
