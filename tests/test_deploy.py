"""Deployment: the index on a Chroma server, and two app processes continuing one conversation
through sessions in PostgreSQL (the store alone is tested in tests/store/).

Real servers on loopback only: a ``chroma run`` started here (module-scoped, its data kept under
the shared test dir so the movies index is built once), and a PostgreSQL from
``CHATREC_TEST_DATABASE_URL`` or, when unset, the local one ``scripts/ci_services.sh`` starts
(called here without installing anything). Without either, the PostgreSQL tests are skipped
with the reason; everything else still runs.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatrec.errors import ConfigError, SessionError
from chatrec.eval.bench_deploy import free_port, get_json, post_json, start_app, start_chroma, stop, wait_http
from chatrec.settings import Settings
from chatrec.store import SQLStore

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://chatrec:chatrec@127.0.0.1:5432/chatrec_test"


# --- fixtures ------------------------------------------------------------------------------
def _pg_reachable(url: str) -> str | None:
    """None if a SQLStore opens on ``url``; otherwise why not."""
    try:
        SQLStore(url, connect_timeout_s=3).close()
        return None
    except (SessionError, ConfigError) as e:
        return str(e)


@pytest.fixture(scope="module")
def pg_url() -> str:
    """A PostgreSQL URL that works; skips only when none is configured and none can start."""
    url = os.environ.get("CHATREC_TEST_DATABASE_URL")
    if url:  # configured: it must work
        why = _pg_reachable(url)
        assert why is None, f"CHATREC_TEST_DATABASE_URL is set but unusable: {why}"
        return url
    if _pg_reachable(DEFAULT_PG) is None:
        return DEFAULT_PG
    # try to start the local server (never installs from a test run)
    try:
        out = subprocess.run(["bash", str(REPO / "scripts" / "ci_services.sh")],
                             env=dict(os.environ, CHATREC_PG_NO_INSTALL="1"),
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        pytest.skip(f"no PostgreSQL: CHATREC_TEST_DATABASE_URL is unset and "
                    f"scripts/ci_services.sh failed ({e})")
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        pytest.skip("no PostgreSQL: CHATREC_TEST_DATABASE_URL is unset and "
                    "scripts/ci_services.sh could not start a local one (run that script "
                    "first: it also installs the Debian package; or set "
                    f"CHATREC_TEST_DATABASE_URL): {out.stderr.strip()[-500:]}")
    url = lines[-1]
    why = _pg_reachable(url)
    if why:
        pytest.skip(f"no PostgreSQL: scripts/ci_services.sh ran but {url} is unusable: {why}")
    return url


@pytest.fixture(scope="module")
def chroma_url(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``chroma run`` on loopback for this module; its data persists between runs."""
    port = free_port()
    log = tmp_path_factory.mktemp("chroma") / "chroma.log"
    proc = start_chroma(shared_data_dir / "chroma-server", port, log, timeout=90)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def movies_on_server(chroma_url: str, shared_data_dir: Path) -> Any:
    """The movies index opened (built on first use, from the shipped vectors) on the server."""
    from chatrec.catalog import load_catalog
    from chatrec.retrieve.embed import MiniLMEmbedder
    from chatrec.retrieve.index import VectorIndex

    s = Settings.load(env={}, data_dir=str(shared_data_dir), chroma_url=chroma_url)
    cat = load_catalog("movies", s)
    return VectorIndex.open(cat, MiniLMEmbedder(), s)


# --- settings -----------------------------------------------------------------------------
def test_settings_read_the_deploy_variables() -> None:
    s = Settings.load(env={"CHATREC_CHROMA_URL": "http://chroma:8000",
                           "CHATREC_DATABASE_URL": "postgresql://u:p@db/chatrec"})
    assert s.chroma_url == "http://chroma:8000"
    assert s.database_url == "postgresql://u:p@db/chatrec"
    d = Settings.load(env={})
    assert d.chroma_url is None and d.database_url is None


# --- the index on a Chroma server ----------------------------------------------------------
@pytest.mark.slow
@pytest.mark.server
def test_index_on_chroma_server_matches_embedded(movies_on_server: Any, chroma_url: str,
                                                 shared_data_dir: Path) -> None:
    from chatrec.retrieve.filters import ATTRS_KEY
    from chatrec.retrieve.index import VectorIndex

    server = movies_on_server
    assert server.count() == len(server.catalog)
    # the collection really lives on the server
    status, cols = get_json(chroma_url + "/api/v2/tenants/default_tenant/databases/"
                            "default_database/collections")
    assert status == 200, cols
    assert server.collection.name in {c["name"] for c in cols}
    embedded = VectorIndex.open(server.catalog, server.embedder,
                                Settings.load(env={}, data_dir=str(shared_data_dir)))
    assert embedded.collection.name == server.collection.name  # same collection naming
    where = {"$and": [{"year": {"$gte": 2000}}, {ATTRS_KEY: {"$not_contains": "horror"}}]}
    for text, filt in (("astronauts stranded on Mars", None),
                       ("a scary haunted house", where)):
        vec = server.embedder.encode([text])
        got = [h.item_id for h in server.query(vec, 10, filt)]
        ref = [h.item_id for h in embedded.query(vec, 10, filt)]
        assert len(got) == 10
        assert len(set(got) & set(ref)) >= 8, (got, ref)  # HNSW is approximate on both sides
        if filt:
            for i in got:
                item = server.catalog.get(i)
                assert item is not None and int(item.meta["year"]) >= 2000
                assert "horror" not in server.catalog.attributes(item)
    ids, vecs = server.vectors(got[:3])
    assert ids == got[:3] and vecs.shape == (3, server.embedder.dim)


# --- two app processes, one conversation ---------------------------------------------------
@pytest.fixture(scope="module")
def two_apps(pg_url: str, chroma_url: str, movies_on_server: Any,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    work = tmp_path_factory.mktemp("apps")
    ports = [free_port(), free_port()]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n, port in enumerate(ports):
            procs.append(start_app(port, work / f"data{n}", work / f"app{n}.log",
                                   database_url=pg_url, chroma_url=chroma_url, backend="fake"))
        for n, (port, proc) in enumerate(zip(ports, procs, strict=True)):
            wait_http(f"http://127.0.0.1:{port}/healthz", proc, 240, f"app.py #{n}",
                      work / f"app{n}.log")
        yield [f"http://127.0.0.1:{p}" for p in ports]
    finally:
        for proc in procs:
            stop(proc)


@pytest.mark.slow
@pytest.mark.server
def test_two_app_processes_continue_one_conversation(two_apps: list[str], pg_url: str) -> None:
    a, b = two_apps
    status, first = post_json(a + "/api/chat",
                              {"message": "I loved Interstellar and The Martian, no horror please"})
    assert status == 200, first
    sid = first["session_id"]
    assert first["reply"]["picks"]
    status, second = post_json(b + "/api/chat", {"message": "something from the 90s",
                                                 "session_id": sid})
    assert status == 200, ("process B does not see the session process A stored: does "
                           f"Recommender use open_store(settings)? {second}")
    # B continued A's conversation: its profile still holds what was said on A
    assert "Interstellar" in str(second["profile"])
    for url in (a, b):
        status, hist = get_json(f"{url}/api/sessions/{sid}")
        assert status == 200, hist
        assert [t["role"] for t in hist["turns"]] == ["user", "assistant"] * 2
        assert hist["turns"][2]["text"] == "something from the 90s"
    # both processes writing the same session at once: nothing lost, no collision
    results: list[tuple[int, dict[str, Any]]] = []

    def send(url: str, msg: str) -> None:
        results.append(post_json(url + "/api/chat", {"message": msg, "session_id": sid}))

    threads = [threading.Thread(target=send, args=(u, m)) for u, m in
               ((a, "a comedy instead"), (b, "animated, for the family"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in results] == [200, 200], results
    store = SQLStore(pg_url)
    rec = store.load(sid)
    store.close()
    assert rec is not None
    assert [t.idx for t in rec.turns] == list(range(8))
    assert {t.text for t in rec.turns if t.role == "user"} >= {"a comedy instead",
                                                               "animated, for the family"}
    status, hist = get_json(f"{b}/api/sessions/{sid}")
    assert status == 200 and len(hist["turns"]) == 8
