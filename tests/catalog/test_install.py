"""An installed (non-editable) chatrec finds its shipped catalogs and prompts.

``prompts/`` and ``catalogs/`` live at the top of the repository; the wheel carries them as
``chatrec/shipped/{prompts,catalogs}`` (pyproject.toml, ``[tool.setuptools]``), where
:func:`chatrec.settings.shipped_dir` looks first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from chatrec.prompts import REQUIRED

REPO = Path(__file__).resolve().parents[2]
# what the wheel is built from: the metadata files pyproject.toml names, and the packaged folders
BUILD_INPUTS = ("pyproject.toml", "requirements.txt", "README.md", "chatrec", "catalogs", "prompts")


def setuptools_config() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def source_packages() -> set[str]:
    """Every folder under chatrec/ that holds Python modules, as a dotted package name."""
    return {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "chatrec").rglob("*.py")
            if "__pycache__" not in p.parts}


def test_the_wheel_lists_every_package() -> None:
    config = setuptools_config()
    listed = set(config["packages"])
    shipped = set(config["package-dir"])
    assert shipped == {"chatrec.shipped.catalogs", "chatrec.shipped.prompts"}
    missing = sorted(source_packages() - listed)
    assert not missing, (f"add {missing} to [tool.setuptools] packages in pyproject.toml, or the "
                         "wheel leaves them out")
    stale = sorted(listed - shipped - source_packages())
    assert not stale, f"remove {stale} from [tool.setuptools] packages in pyproject.toml"
    for package, folder in config["package-dir"].items():
        assert (REPO / folder).is_dir(), f"{package} maps to {folder}/, which does not exist"


PROBE = """
import json, sys
from pathlib import Path
import chatrec
from chatrec.catalog import list_catalogs, load_catalog, read_manifest
from chatrec.prompts import load_prompts
from chatrec.settings import Settings

s = Settings.load()
movies = read_manifest(s.catalogs_dir / "movies")
print(json.dumps({
    "package": chatrec.__file__, "catalogs_dir": str(s.catalogs_dir),
    "prompts_dir": str(s.prompts_dir), "catalogs": list_catalogs(s),
    "movies_title": movies.title, "movies_items": len(load_catalog("movies", s)),
    "prompts": sorted(load_prompts(s.prompts_dir)),
}))
"""


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_installed_wheel_finds_catalogs_and_prompts(tmp_path: Path) -> None:
    src = tmp_path / "src"  # build from a copy: the build writes build/ and *.egg-info beside it
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheels),
         str(src)])
    (wheel,) = wheels.glob("chatrec-*.whl")
    run([*pip, "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)])

    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATREC_")}
    env.update(PYTHONPATH=str(target), CHATREC_DATA_DIR=str(tmp_path / "data"))
    elsewhere = tmp_path / "elsewhere"  # not the repository: it must not be importable
    elsewhere.mkdir()
    out = run([sys.executable, "-c", PROBE], cwd=elsewhere, env=env).stdout
    got = json.loads(out.strip().splitlines()[-1])
    installed = target / "chatrec"
    assert Path(got["package"]).parent == installed
    assert Path(got["catalogs_dir"]) == installed / "shipped" / "catalogs"
    assert Path(got["prompts_dir"]) == installed / "shipped" / "prompts"
    assert got["catalogs"] == sorted(p.parent.name for p in (REPO / "catalogs").glob("*/catalog.json"))
    assert got["movies_title"].startswith("Movies")
    manifest = json.loads((REPO / "catalogs" / "movies" / "catalog.json").read_text())
    assert got["movies_items"] == manifest["item_count"]
    assert got["prompts"] == sorted(REQUIRED)  # every prompt the code uses, read from the wheel

    listing = run([sys.executable, "-m", "chatrec.importer.cli", "list", "--json"], cwd=elsewhere,
                  env=env).stdout
    assert {r["name"]: r["kind"] for r in json.loads(listing)}.get("movies") == "shipped"
