"""Users across conversations on the real movies recommender (MiniLM, Chroma, SQLite store,
fake LLM): a new conversation starts from the user's likes and never shows a seen film, a
conversation's feedback updates the user, resumed ones gain what the user learned since, and
export/forget cover everything, sessions included."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from chatrec.errors import InputError, SessionError
from chatrec.store import SQLStore
from chatrec.store.sql import sessions_table, turns_table, user_sessions_table, users_table

pytestmark = pytest.mark.slow

LIKED = [("Alien", 1979), ("Aliens", 1986), ("The Terminator", 1984), ("Predator", 1987),
         ("The Thing", 1982), ("RoboCop", 1987)]
DISLIKED = [("Titanic", 1997), ("The Notebook", 2004)]
SEEN = [("The Matrix", 1999), ("Die Hard", 1988), ("Blade Runner", 1982)]


def _export(path: Path) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
        rows = [(n, y, 5) for n, y in LIKED] + [(n, y, 1) for n, y in DISLIKED] + \
            [(n, y, 3) for n, y in SEEN] + [("Not A Film At All", 2001, 4)]
        for k, (name, year, rating) in enumerate(rows):
            w.writerow([f"2024-01-{k + 1:02d}", name, year, f"https://boxd.it/{k}", rating])
        w.writerow(["2024-02-01", "Broken", "year?", "https://boxd.it/z", 4])
    return path


def _rows_of(store: SQLStore, user_id: str, sids: list[str]) -> int:
    with store.engine.connect() as c:
        n = c.execute(sa.select(sa.func.count()).select_from(users_table)
                      .where(users_table.c.id == user_id)).scalar_one()
        n += c.execute(sa.select(sa.func.count()).select_from(user_sessions_table)
                       .where(user_sessions_table.c.user_id == user_id)).scalar_one()
        n += c.execute(sa.select(sa.func.count()).select_from(sessions_table)
                       .where(sessions_table.c.id.in_(sids))).scalar_one()
        n += c.execute(sa.select(sa.func.count()).select_from(turns_table)
                       .where(turns_table.c.session_id.in_(sids))).scalar_one()
    return int(n)


def test_import_then_conversations_start_from_the_history(movies_rec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    me = movies_rec.user("test-import-alice")
    report = me.import_history(_export(tmp_path / "ratings.csv"))
    assert len(report.linked) == len(LIKED) + len(DISLIKED) + len(SEEN)
    assert [m.title for m in report.missing] == ["Not A Film At All"]
    assert report.bad_rows[0].where == "ratings.csv:14"
    assert (report.likes, report.dislikes, report.seen) == (6, 2, 11)
    assert "11 linked" in report.summary() and "ratings.csv:14" in report.summary()
    seen = set(me.preferences.seen_items)
    assert len(seen) == 11

    s = me.session()  # starts from the likes: no clarifying question, picks near them
    assert set(s.preferences.liked_items) == set(me.preferences.liked_items)
    shown: list[str] = []
    for msg in ("something for tonight", "more please", "something else, maybe older"):
        reply = s.send(msg)
        assert reply.picks, reply.text
        shown += [p.item_id for p in reply.picks]
    assert not seen & set(shown), "a seen film was recommended"
    sci_fi = sum("Sci-Fi" in movies_rec.catalog.items[i].values("genres") for i in shown[:4])
    assert sci_fi >= 2, [movies_rec.catalog.items[i].display_title for i in shown]

    # feedback in the conversation reaches the user; a new conversation starts from it
    s.feedback(shown[0], "like")
    s.send("no horror please")
    assert shown[0] in me.preferences.liked_items
    assert "horror" in me.preferences.disliked_attrs
    s2 = me.session()
    assert shown[0] in s2.preferences.liked_items and "horror" in s2.preferences.disliked_attrs
    assert s2.session_id != s.session_id and me.sessions()[-2:] == [s.session_id, s2.session_id]

    # a resumed conversation gains what the user learned since
    (tmp_path / "more.csv").write_text("title,year,rating\nJaws,1975,5\n")
    me.import_history(tmp_path / "more.csv")
    jaws = next(iter(me.preferences.liked_items.keys() - s.preferences.liked_items.keys()))
    assert jaws in movies_rec.session(s.session_id).preferences.liked_items
    with pytest.raises(SessionError, match="not one of user"):
        movies_rec.session(s.session_id, user="test-import-bob")

    data = json.loads(json.dumps(me.export()))
    assert data["user_id"] == "test-import-alice"
    assert set(data["profiles"]["movies"]["prefs"]["liked_items"]) >= {shown[0], jaws}
    assert len(data["profiles"]["movies"]["imports"]) == 2
    assert {x["session_id"] for x in data["sessions"]} == {s.session_id, s2.session_id}
    assert any(t["text"] == "no horror please" for x in data["sessions"] for t in x["turns"])

    sids = me.sessions()
    assert _rows_of(movies_rec.store, me.user_id, sids) > 0
    assert me.forget() == 2
    assert _rows_of(movies_rec.store, me.user_id, sids) == 0
    assert me.export()["profiles"] == {} and me.describe_preferences().startswith("Nothing")


def test_a_refused_file_imports_nothing(movies_rec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    me = movies_rec.user("test-import-refused")
    (tmp_path / "bad.csv").write_text("Date,Name,Year,Letterboxd URI,Rating\nx,,1999,u,4\n")
    with pytest.raises(InputError, match="nothing was imported"):
        me.import_history(tmp_path / "bad.csv")
    assert me.export()["profiles"] == {}


def test_sessions_without_a_user_are_as_before(movies_rec) -> None:  # type: ignore[no-untyped-def]
    s = movies_rec.session()
    s.send("I loved Alien")
    assert s.user_id is None and "user_id" not in movies_rec.store.load(s.session_id).state


def test_cli_imports_prints_the_report_exports_and_forgets(
        shared_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from chatrec.cli import main

    monkeypatch.setenv("CHATREC_DATA_DIR", str(shared_data_dir))
    monkeypatch.setenv("CHATREC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    path = _export(tmp_path / "ratings.csv")
    assert main(["user", "import", "cli-eve", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ratings.csv (letterboxd): 13 rows, 11 linked" in out
    assert "missing ratings.csv:13: 'Not A Film At All' (2001)" in out and "bad ratings.csv:14" in out
    assert "You like:" in out and "Alien (1979)" in out
    assert main(["user", "export", "cli-eve", "-o", str(tmp_path / "eve.json")]) == 0
    data = json.loads((tmp_path / "eve.json").read_text())
    assert len(data["profiles"]["movies"]["prefs"]["seen_items"]) == 11
    assert main(["user", "forget", "cli-eve"]) == 1  # asks for --yes
    assert main(["user", "forget", "cli-eve", "--yes"]) == 0
    capsys.readouterr()
    assert main(["user", "show", "cli-eve"]) == 0
    assert "Nothing yet" in capsys.readouterr().out
    assert main(["user", "import", "cli-eve", str(tmp_path / "none.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
