"""The JSON API's users, in process (FastAPI's TestClient over the real app: real catalog,
MiniLM and Chroma, no language model): ``user_id`` on /api/chat, history upload, export and
forget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

HISTORY = b"""Date,Name,Year,Letterboxd URI,Rating
2024-01-01,Alien,1979,https://boxd.it/a,5
2024-01-02,Aliens,1986,https://boxd.it/b,4.5
2024-01-03,Titanic,1997,https://boxd.it/c,1
"""


@pytest.fixture(scope="module")
def client(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from chatrec.settings import Settings
    from chatrec.ui.app import create_app

    db = tmp_path_factory.mktemp("usersdb") / "s.sqlite3"
    settings = Settings.load(env={}, data_dir=str(shared_data_dir), backend="fake",
                             use_llm=False, database_url=f"sqlite:///{db}")
    with TestClient(create_app(settings)) as c:
        yield c


def test_user_id_history_upload_export_forget(client: Any) -> None:
    r = client.post("/api/users/http-alice/history",
                    files={"file": ("ratings.csv", HISTORY, "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["report"]["linked"]) == 3 and "3 linked" in body["summary"]
    assert "Alien (1979)" in body["profile"]
    seen = set(client.get("/api/users/http-alice").json()["preferences"]["seen_items"])
    assert len(seen) == 3

    r = client.post("/api/chat", json={"message": "something for tonight",
                                       "user_id": "http-alice"})
    assert r.status_code == 200, r.text
    chat = r.json()
    assert "Alien (1979)" in chat["profile"]
    assert chat["reply"]["picks"] and not seen & {p["item_id"] for p in chat["reply"]["picks"]}
    r = client.post("/api/chat", json={"message": "more", "user_id": "http-bob",
                                       "session_id": chat["session_id"]})
    assert r.status_code == 404 and "not one of user" in r.json()["detail"]

    data = client.get("/api/users/http-alice/export").json()
    assert data["user_id"] == "http-alice" and len(data["sessions"]) == 1
    assert data["sessions"][0]["turns"][0]["text"] == "something for tonight"
    assert client.delete("/api/users/http-alice").json()["deleted_sessions"] == 1
    assert client.get("/api/users/http-alice/export").json()["sessions"] == []
    assert client.get(f"/api/sessions/{chat['session_id']}").status_code == 404


def test_bad_uploads_and_ids_are_explained(client: Any) -> None:
    r = client.post("/api/users/http-carol/history",
                    files={"file": ("x.json", b"[{\"movie\": ", "application/json")})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    r = client.post("/api/chat", json={"message": "hi", "user_id": "x" * 200})
    assert r.status_code == 400 and "user id" in r.json()["detail"]
    assert client.get("/api/users/http-carol").json()["sessions"] == []
