"""Roles detected and shown at import, and tags from a second file (issue 17), on the test
catalogs of tests/data/catalogs (schemas unlike the shipped ones; see scripts/build_test_catalogs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog import load_catalog
from chatrec.errors import CatalogError
from chatrec.importer import ImportSpec, add, parse_file, update
from chatrec.importer.roles import split_creators, year_of
from chatrec.retrieve.embed import HashingEmbedder
from chatrec.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogs"
FILMS = DATA / "films.csv.gz"
STEAM = DATA / "steam_products.jsonl.gz"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(env={}, data_dir=str(tmp_path / "data"))


def test_year_of_reads_years_and_dates() -> None:
    assert [year_of(v) for v in (1999, 1999.0, "1999", "-720", "2016-05-03", "May 3, 2016",
                                 "03/05/2016", "To be announced", "", None, True)] == \
        [1999, 1999, 1999, -720, 2016, 2016, 2016, None, None, None, None]
    assert split_creators("Stephen King, Peter Straub", "|") == ["Stephen King", "Peter Straub"]
    assert split_creators(["Valve", "Hidden Path & Valve"], "|") == ["Valve", "Hidden Path"]


def test_roles_detected_in_a_csv_without_a_year_column() -> None:
    p = parse_file(FILMS, ImportSpec(id="movieId", text=["overview"]), "films")
    man = p.manifest
    f = man["fields"]
    assert f["year"] == {"type": "int", "label": "Year", "role": "year"}
    assert f["vote_average"]["role"] == "rating" and f["vote_average"]["unit"] == "/10"
    assert man["rating_field"] == "vote_average" and man["votes_field"] == "vote_count"
    assert f["original_language"]["role"] == "language"
    assert "original_language" not in man["attribute_fields"]  # never an attribute, never a reason
    assert any(n.startswith("using release_date as the year; pass --year") for n in p.notes)
    toy = next(it for it in p.items if it["title"] == "Toy Story")
    assert toy["meta"]["year"] == 1995


def test_roles_detected_in_nested_jsonl_and_overridden() -> None:
    p = parse_file(STEAM, ImportSpec(text=["tags"]), "steamp")
    f = p.manifest["fields"]
    assert f["developer"]["role"] == "creator" and "developer" not in p.manifest["attribute_fields"]
    assert p.manifest["link_field"] == "store.url" and f["year"]["role"] == "year"
    cs = next(it for it in p.items if it["title"] == "Counter-Strike")
    assert cs["meta"]["developer"] == ["Valve"] and cs["meta"]["year"] == 2000
    q = parse_file(STEAM, ImportSpec(text=["tags"], year="none", creator="maker.publisher"),
                   "steamp")
    assert "year" not in q.manifest["fields"]
    assert q.manifest["fields"]["publisher"]["role"] == "creator"
    assert not any("as the year" in n or "as the creator" in n for n in q.notes)
    with pytest.raises(CatalogError, match="--creator"):
        parse_file(STEAM, ImportSpec(text=["tags"], creator="maker.nobody"), "steamp")


def test_tags_from_a_tag_id_file_joined_with_names() -> None:
    spec = ImportSpec(id="movieId", text=["overview"], tags=str(DATA / "film_keywords.csv.gz"),
                      tag_names=str(DATA / "keywords.csv.gz"))
    p = parse_file(FILMS, spec, "films")
    assert "tags" in p.manifest["attribute_fields"]
    assert any(n.startswith("tags: ") and "joined on movieId" in n for n in p.notes)
    avatar = next(it for it in p.items if it["title"] == "Avatar")
    assert "space colony" in avatar["meta"]["tags"] and "Tags: " in avatar["text"]


def test_tags_in_movielens_shape_count_rows(tmp_path: Path) -> None:
    items = tmp_path / "books.csv"
    items.write_text("book_id,goodreads_id,title\n1,901,Dune\n2,902,Emma\n3,903,Dracula\n")
    tags = tmp_path / "book_tags.csv"  # goodbooks shape: ids refer to another items column
    tags.write_text("goodreads_id,tag_id,count\n901,1,50\n901,2,3\n902,3,7\n903,4,9\n903,1,1\n")
    names = tmp_path / "tags.csv"
    names.write_text("tag_id,tag_name\n1,sci-fi\n2,to-read\n3,romance\n4,gothic\n")
    p = parse_file(items, ImportSpec(id="book_id", tags=str(tags), tag_names=str(names)), "books")
    by = {it["title"]: it["meta"].get("tags") for it in p.items}
    assert by == {"Dune": ["sci-fi", "to-read"], "Emma": ["romance"], "Dracula": ["gothic", "sci-fi"]}
    ml = tmp_path / "ml_tags.csv"  # MovieLens shape: one row per user and tag, each counts 1
    ml.write_text("userId,book_id,tag,timestamp\n1,1,space,0\n2,1,Space,0\n3,1,worms,0\n1,2,funny,0\n")
    q = parse_file(items, ImportSpec(id="book_id", tags=str(ml)), "books")
    assert {it["title"]: it.get("meta", {}).get("tags") for it in q.items} == \
        {"Dune": ["space", "worms"], "Emma": ["funny"], "Dracula": None}
    with pytest.raises(CatalogError, match="--tag-names"):
        parse_file(items, ImportSpec(id="book_id", tags=str(tags)), "books")


def test_update_refreshes_the_tags(tmp_path: Path, settings: Settings) -> None:
    items = tmp_path / "books.csv"
    items.write_text("id,title\n1,Dune\n2,Emma\n")
    tags = tmp_path / "tags.csv"
    tags.write_text("id,tag\n1,space\n")
    emb = HashingEmbedder()
    rep = add("shelf", items, tags=tags, settings=settings, embedder=emb)
    assert any(n.startswith("tags: 1 rows read") for n in rep.notes)
    tags.write_text("id,tag\n1,space\n2,romance\n")
    update("shelf", settings=settings, embedder=emb)
    cat = load_catalog("shelf", settings)
    assert cat["2"].meta["tags"] == ["romance"] and "romance" in cat.vocabulary()
