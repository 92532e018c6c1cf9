"""Importing users' own files as catalogs (chatrec.importer), then chatting against them.

Files are written in the tests, shaped like the messy files people have. Unit tests use the
HashingEmbedder; one slow test imports with the real MiniLM.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chatrec.catalog import list_catalogs, load_catalog
from chatrec.errors import CatalogError, CatalogRowError
from chatrec.importer import add, info, list_user_catalogs, parse_file, remove, update
from chatrec.retrieve.embed import HashingEmbedder
from chatrec.settings import Settings

BOM = "\ufeff"

BOOKS_CSV = BOM + """book_id;title;description;genres;year;price;language;url
1;Dune;"Desert planet; spice, giant worms and prophecy";sci-fi|classic|space;1965;9,99;en;http://b/1
2;Emma;"Matchmaking in a quiet English village";romance|classic;1815;4.50;en;http://b/2
3;"Le Petit Prince";"A pilot meets a little prince
who fell from an asteroid";fable|classic|children;1943;7;fr;http://b/3
4;Neuromancer;Hackers and AI in cyberspace;sci-fi|cyberpunk;1984;12;en;http://b/4
5;Foundation;The fall of a galactic empire and a plan to save knowledge;sci-fi|space|classic;1951;8.99;en;
6;Dracula;A vampire count travels to England;horror|classic|gothic;1897;3;en;http://b/6
7;"The Hobbit";A hobbit joins dwarves on a quest for a dragon's gold;fantasy|adventure|classic;1937;10;en;http://b/7
8;Solaris;A sentient ocean on a distant planet;sci-fi|space|philosophical;1961;11.5;pl;http://b/8
"""

BOOKS_FLAGS: dict[str, Any] = dict(id="book_id", title="title", text="description,genres",
                                   filters="year:int,price:float,language:str", link="url",
                                   noun="book")


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        self.texts.extend(texts)
        return super().encode(texts)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(env={}, data_dir=str(tmp_path / "data"))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def chat(settings: Settings, catalog: str, message: str, embedder: Any = None) -> Any:
    from chatrec.llm.fake import FakeLLM
    from chatrec.recommender import Recommender
    from chatrec.store import SQLStore

    rec = Recommender(catalog=catalog, backend="fake", llm=FakeLLM(), settings=settings,
                      embedder=embedder or HashingEmbedder(),
                      store=SQLStore.sqlite(settings.data_dir / "s.sqlite3"))
    return rec, rec.session().send(message)


def no_leftovers(settings: Settings) -> None:
    staging = settings.data_dir / ".catalog-staging"
    left = [p.name for p in staging.iterdir() if not p.name.endswith(".lock")] \
        if staging.exists() else []
    assert left == [], f"staging folders left behind: {left}"


# --- CSV with BOM, ';', quoted fields, decimal commas, list cells ----------------------------
def test_csv_with_bom_and_semicolons_imports_and_chats(tmp_path: Path, settings: Settings) -> None:
    src = write(tmp_path / "books.csv", BOOKS_CSV)
    rep = add("books", src, settings=settings, embedder=HashingEmbedder(), **BOOKS_FLAGS)
    assert rep.items == 8 and rep.skipped == [] and rep.embedded == 8
    assert "books" in list_catalogs(settings)
    cat = load_catalog("books", settings)
    dune = cat["1"]
    assert dune.title == "Dune"
    assert dune.meta["price"] == 9.99  # decimal comma in a ';' file
    assert dune.meta["genres"] == ["sci-fi", "classic", "space"]
    assert dune.meta["year"] == 1965 and dune.meta["language"] == "en"
    assert dune.text.startswith("Dune. Desert planet; spice, giant worms and prophecy. Genres: sci-fi")
    assert "who fell from an asteroid" in cat["3"].text  # a newline inside quotes
    assert "url" not in cat["5"].meta  # empty cell: left out, never null
    man = cat.manifest
    assert man.fields["year"].role == "year" and man.fields["price"].role == "price"
    assert set(man.attribute_fields) == {"genres", "language"} and man.link_field == "url"
    vocab = cat.vocabulary()
    assert vocab["classic"] == 6 and "science fiction" in vocab  # normalized like shipped catalogs
    assert cat.link("1") == "http://b/1"

    rec, reply = chat(settings, "books", "I loved Dune, more sci-fi set in space please")
    assert reply.picks, reply.text
    assert all(p.item_id in cat for p in reply.picks)
    assert "1" not in {p.item_id for p in reply.picks}  # the liked title itself is not re-picked
    s = rec.session()
    r2 = s.send("a classic adventure but no horror")
    assert r2.picks and "6" not in {p.item_id for p in r2.picks}
    r3 = s.send("under $9 please")
    for p in r3.picks:
        price = cat[p.item_id].meta.get("price")
        assert price is None or price <= 9


def test_jsonl_gz_with_arrays_nested_keys_and_int_ids(tmp_path: Path, settings: Settings) -> None:
    rows = [
        {"sku": 101, "name": "Trail Runner", "about": "light shoe for muddy trails",
         "cats": ["shoes", "running", "Outdoor"], "specs": {"weight_g": 250, "waterproof": "yes"},
         "price": "$89.00", "reviews": 1200},
        {"sku": 102, "name": "City Sneaker", "about": "a comfy everyday sneaker",
         "cats": ["shoes", "casual"], "specs": {"weight_g": 310, "waterproof": "no"}, "price": 60,
         "reviews": 3},
        {"sku": 103, "name": "Rain Jacket", "about": "packable waterproof shell",
         "cats": ["jackets", "outdoor"], "specs": {"weight_g": 180.0, "waterproof": True},
         "price": None},
    ]
    src = tmp_path / "shop.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    rep = add("shop", src, settings=settings, embedder=HashingEmbedder(), id="sku",
              text=["about", "cats"],
              filters={"price": "float:USD", "specs.weight_g": "int:g", "specs.waterproof": "bool"},
              votes="reviews", noun="product")
    assert rep.items == 3
    cat = load_catalog("shop", settings)
    assert list(cat.items) == ["101", "102", "103"]  # ids as strings
    assert cat["101"].meta["cats"] == ["shoes", "running", "Outdoor"]
    assert cat["101"].meta["price"] == 89.0 and cat["101"].meta["specs.weight_g"] == 250
    assert cat["103"].meta["specs.waterproof"] is True and "price" not in cat["103"].meta
    assert "outdoor" in cat.vocabulary() and cat.vocabulary()["outdoor"] == 2  # case folded
    assert cat.display_meta(cat["102"])["Price"] == "$60.00"
    assert cat.manifest.votes_field == "reviews"
    assert (cat.votes("101"), cat.votes("102"), cat.votes("103")) == (1200.0, 3.0, 0.0)
    _, reply = chat(settings, "shop", "I need waterproof gear for the outdoors")
    assert reply.picks and all(p.item_id in cat for p in reply.picks)


def test_latin1_needs_the_flag(tmp_path: Path, settings: Settings) -> None:
    text = "id,title,notes\n1,Crème brûlée,dessert français\n2,Paëlla,riz\n"
    src = write(tmp_path / "food.csv", text, "latin-1")
    with pytest.raises(CatalogRowError, match="latin-1") as e:
        add("food", src, settings=settings, embedder=HashingEmbedder(), text="notes")
    assert e.value.line == 2
    add("food", src, settings=settings, embedder=HashingEmbedder(), text="notes", encoding="latin-1")
    assert load_catalog("food", settings)["1"].title == "Crème brûlée"


def test_tab_and_comma_files_are_sniffed(tmp_path: Path) -> None:
    from chatrec.importer import ImportSpec

    tsv = write(tmp_path / "a.tsv", 'id\ttitle\ttags\n1\t"A, B"\tx|y\n2\tC\t["p", "q"]\n')
    parsed = parse_file(tsv, ImportSpec(text=["tags"]), "a")
    assert [it["title"] for it in parsed.items] == ["A, B", "C"]
    assert parsed.items[1]["meta"]["tags"] == ["p", "q"]  # a JSON array cell
    csv_ = write(tmp_path / "b.csv", 'id,title,genres\n1,"X; Y",drama\n2,Z,comedy|drama\n')
    parsed = parse_file(csv_, ImportSpec(lists=["genres"]), "b")
    assert parsed.items[0]["title"] == "X; Y" and parsed.items[0]["meta"]["genres"] == ["drama"]


# --- bad files ----------------------------------------------------------------------------
BAD_CSV = """id,title,year,price,tags
1,Alpha,1999,10,a|b
2,Beta,2001,abc,b
2,Gamma,2002,5,c
3,,2003,5,c
4,Delta,20x4,7,d
5,Epsilon,2005,3,e
6,Zeta,2006,"4
"""


def test_bad_rows_are_reported_with_file_line_and_column(tmp_path: Path, settings: Settings) -> None:
    src = write(tmp_path / "bad.csv", BAD_CSV)
    kw: dict[str, Any] = dict(filters="year:int,price:float", text="tags", settings=settings,
                              embedder=HashingEmbedder())
    with pytest.raises(CatalogRowError) as e:
        add("bad", src, **kw)
    err = e.value
    assert (err.path, err.line, err.column) == (str(src), 3, "price")
    assert "abc" in str(err) and f"{src}:3" in str(err)
    assert "bad" not in list_catalogs(settings)  # nothing written
    assert not (settings.data_dir / "catalogs" / "bad").exists()
    no_leftovers(settings)

    rep = add("bad", src, skip_bad_rows=True, **kw)
    got = {(x.line, x.column): str(x) for x in rep.skipped}
    assert set(got) == {(3, "price"), (4, "id"), (5, "title"), (6, "year"), (8, None)}
    assert "duplicate id '2'" in got[4, "id"] and "empty title" in got[5, "title"]
    assert "truncated" in got[8, None]
    assert rep.items == 2 and len(rep.skipped) == 5 and "skipped 5 bad rows" in rep.summary()
    cat = load_catalog("bad", settings)
    assert sorted(cat.items) == ["1", "5"]
    _, reply = chat(settings, "bad", "something like Alpha")
    assert reply.picks is not None  # chatting works on what was imported


def test_missing_id_column_and_other_file_errors(tmp_path: Path, settings: Settings) -> None:
    src = write(tmp_path / "x.csv", "sku,title\n1,A\n")
    with pytest.raises(CatalogRowError, match=r"no id column.*sku") as e:
        add("x", src, settings=settings, embedder=HashingEmbedder())
    assert e.value.line == 1
    with pytest.raises(CatalogRowError, match="no column 'book_id'") as e:
        add("x", src, id="book_id", settings=settings, embedder=HashingEmbedder())
    assert e.value.column == "book_id"
    jl = write(tmp_path / "t.jsonl", '{"id": 1, "title": "A"}\n{"id": 2, "title": "B"}\n{"id": 3, "ti')
    with pytest.raises(CatalogRowError, match="truncated") as e:
        add("t", jl, settings=settings, embedder=HashingEmbedder())
    assert e.value.line == 3
    rep = add("t", jl, settings=settings, embedder=HashingEmbedder(), skip_bad_rows=True)
    assert rep.items == 2 and len(rep.skipped) == 1
    whole = gzip.compress(("id,title,about\n" + "".join(f"{i},T{i},about {i}\n" for i in range(300)))
                          .encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])  # a download that stopped half-way
    with pytest.raises(CatalogRowError, match="truncated"):
        add("cut", cut, settings=settings, embedder=HashingEmbedder(), text="about")
    rep = add("cut", cut, settings=settings, embedder=HashingEmbedder(), text="about",
              skip_bad_rows=True)
    assert 0 < rep.items < 300 and len(rep.skipped) == 1
    allbad = write(tmp_path / "e.csv", "id,title\n1,\n2,\n")
    with pytest.raises(CatalogError, match="no usable rows"):
        add("e", allbad, settings=settings, embedder=HashingEmbedder(), skip_bad_rows=True)
    for bad in ("../x", "-x", "a" * 30, "a..b", ""):
        with pytest.raises(CatalogError, match="catalog name"):
            add(bad, src, settings=settings, embedder=HashingEmbedder())
    with pytest.raises(CatalogError, match="already exists"):
        add("t", jl, settings=settings, embedder=HashingEmbedder())
    with pytest.raises(CatalogError, match="shipped"):
        add("movies", jl, settings=settings, embedder=HashingEmbedder())
    no_leftovers(settings)


def test_a_failed_import_leaves_the_previous_version(tmp_path: Path, settings: Settings) -> None:
    src = write(tmp_path / "books.csv", BOOKS_CSV)
    add("books", src, settings=settings, embedder=HashingEmbedder(), **BOOKS_FLAGS)
    before = (settings.data_dir / "catalogs" / "books" / "items.jsonl.gz").read_bytes()

    class Boom(HashingEmbedder):
        def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk full")

    changed = write(tmp_path / "books2.csv", BOOKS_CSV.replace("Dune;", "Dune Messiah;"))
    with pytest.raises(RuntimeError, match="disk full"):
        update("books", changed, settings=settings, embedder=Boom())
    assert (settings.data_dir / "catalogs" / "books" / "items.jsonl.gz").read_bytes() == before
    no_leftovers(settings)
    from chatrec.retrieve.index import chroma_client, collection_name

    client = chroma_client(settings)
    old_name = collection_name(load_catalog("books", settings), HashingEmbedder())
    assert [c if isinstance(c, str) else c.name for c in client.list_collections()] == [old_name]
    col = client.get_collection(old_name)  # the previous index, restored: nothing to re-embed
    assert col.count() == 8 and (col.metadata or {}).get("complete") is True
    _, reply = chat(settings, "books", "a sci-fi book set in space")  # the old version works
    assert reply.picks


# --- incremental updates --------------------------------------------------------------------
def test_update_embeds_only_what_changed(tmp_path: Path, settings: Settings) -> None:
    from chatrec.retrieve.index import chroma_client, collection_name

    rows = [f"{i},Item {i},about topic{i} and things,{i % 7},tag{i % 3}" for i in range(40)]
    src = write(tmp_path / "items.csv", "id,title,about,score,kind\n" + "\n".join(rows) + "\n")
    emb = CountingEmbedder()
    kw: dict[str, Any] = dict(text="about", filters="score:int,kind:str", settings=settings,
                              embedder=emb)
    first = add("inc", src, **kw)
    assert len(emb.texts) == 40 and first.embedded == 40
    cat1 = load_catalog("inc", settings)
    client = chroma_client(settings)
    old_vec = client.get_collection(collection_name(cat1, emb)).get(
        ids=["5"], include=["embeddings"])["embeddings"][0]

    rows[3] = "3,Item 3,about a completely new subject,3,tag0"  # text changed
    rows[4] = "4,Item 4,about topic4 and things,6,tag1"  # only a filter value changed
    del rows[10]  # removed
    rows.append("99,Item 99,about a brand new arrival,1,tag2")  # added
    write(src, "id,title,about,score,kind\n" + "\n".join(rows) + "\n")
    emb.texts.clear()
    rep = update("inc", settings=settings, embedder=emb)  # same file, mapping remembered
    assert sorted(emb.texts) == ["Item 3. about a completely new subject.",
                                 "Item 99. about a brand new arrival."]
    assert (rep.added, rep.changed, rep.removed, rep.embedded) == (1, 2, 1, 2)
    assert rep.unchanged == 37

    cat2 = load_catalog("inc", settings)
    assert len(cat2) == 40 and "10" not in cat2 and cat2["4"].meta["score"] == 6
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    assert names == [collection_name(cat2, emb)]  # the old one is gone
    col = client.get_collection(names[0])
    assert col.count() == 40 and (col.metadata or {}).get("complete") is True
    new_vec = col.get(ids=["5"], include=["embeddings"])["embeddings"][0]
    assert np.allclose(old_vec, new_vec)  # reused, not recomputed
    assert col.get(ids=["4"], include=["metadatas"])["metadatas"][0]["score"] == 6
    assert col.get(ids=["10"])["ids"] == []

    emb.texts.clear()
    again = update("inc", settings=settings, embedder=emb)
    assert emb.texts == [] and again.unchanged == 40 and again.embedded == 0

    _, reply = chat(settings, "inc", "something about a brand new arrival", embedder=emb)
    assert reply.picks


def test_update_with_a_new_field_reuses_vectors(tmp_path: Path, settings: Settings) -> None:
    src = write(tmp_path / "books.csv", BOOKS_CSV)
    emb = CountingEmbedder()
    add("books", src, settings=settings, embedder=emb, **BOOKS_FLAGS)
    emb.texts.clear()
    rep = update("books", settings=settings, embedder=emb, filters="year:int,price:float")
    assert emb.texts == [] and rep.embedded == 0  # texts unchanged: vectors copied over
    man = load_catalog("books", settings).manifest
    # no longer a filter or an attribute: only its detected role (the language) is kept
    assert "language" not in man.attribute_fields and man.fields["language"].role == "language"


# --- mapping files, listing, info, remove, the CLI --------------------------------------------
def test_yaml_and_toml_mapping_files(tmp_path: Path, settings: Settings) -> None:
    write(tmp_path / "books.csv", BOOKS_CSV)
    (tmp_path / "books.yaml").write_text(
        "name: yb\nsource: books.csv\nid: book_id\ntitle: title\ntext: [description, genres]\n"
        "filters:\n  year: int\n  price: {type: float, unit: EUR}\n  language: str\n"
        "link: url\nnoun: book\nlabel: My books\n")
    rep = add(None, mapping=tmp_path / "books.yaml", settings=settings, embedder=HashingEmbedder())
    cat = load_catalog("yb", settings)
    assert rep.items == 8 and cat.manifest.title == "My books" and cat.manifest.plural == "books"
    assert cat.manifest.fields["price"].unit == "EUR"
    (tmp_path / "books.toml").write_text(
        'id = "book_id"\ntext = ["description"]\nlists = ["genres"]\n[csv]\ndelimiter = ";"\n')
    add("tb", tmp_path / "books.csv", mapping=tmp_path / "books.toml", settings=settings,
        embedder=HashingEmbedder())
    assert load_catalog("tb", settings).manifest.attribute_fields == ("genres",)
    (tmp_path / "bad.yaml").write_text("id: book_id\ncolour: blue\n")
    with pytest.raises(CatalogError, match="unknown key 'colour'"):
        add("zz", tmp_path / "books.csv", mapping=tmp_path / "bad.yaml", settings=settings)


def test_list_info_remove(tmp_path: Path, settings: Settings) -> None:
    src = write(tmp_path / "books.csv", BOOKS_CSV)
    add("books", src, settings=settings, embedder=HashingEmbedder(), **BOOKS_FLAGS)
    rows = {r["name"]: r for r in list_user_catalogs(settings)}
    assert rows["books"]["kind"] == "user" and rows["books"]["items"] == 8
    assert rows["movies"]["kind"] == "shipped"
    d = info("books", settings=settings)
    assert d["items"] == 8 and d["fields"]["genres"]["type"] == "list"
    assert ("classic", 6) in d["vocabulary_sample"][:2]
    assert d["index"]["vectors"] == 8 and d["index"]["complete"]
    assert d["import"]["source"] == str(src)
    assert remove("books", settings=settings) == 1
    assert "books" not in list_catalogs(settings)
    with pytest.raises(CatalogError, match="shipped"):
        remove("movies", settings=settings)


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from chatrec.importer.cli import main

    monkeypatch.setenv("CHATREC_DATA_DIR", str(tmp_path / "data"))
    src = write(tmp_path / "books.csv", BOOKS_CSV)
    assert main(["add", "books", str(src), "--id", "book_id", "--title", "title", "--text",
                 "description,genres", "--filter", "year:int,price:float,language:str", "--link",
                 "url", "--noun", "book", "--embedder", "hashing"]) == 0
    out = capsys.readouterr().out
    assert "8 items" in out and "chat --catalog books" in out
    assert main(["list"]) == 0 and "books" in capsys.readouterr().out
    assert main(["info", "books", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == 8
    write(src, BOOKS_CSV.replace("Emma;", "Emma (annotated);"))
    assert main(["update", "books", "--embedder", "hashing"]) == 0
    assert "1 changed" in capsys.readouterr().out
    bad = write(tmp_path / "bad.csv", BAD_CSV)
    assert main(["add", "bad", str(bad), "--filter", "year:int,price:float", "--embedder",
                 "hashing"]) == 2
    assert f"{bad}:3 (column 'price')" in capsys.readouterr().err
    assert main(["add", "bad", str(bad), "--filter", "year:int,price:float", "--skip-bad-rows",
                 "--embedder", "hashing"]) == 0
    assert "skipped 5 bad rows" in capsys.readouterr().out
    assert main(["remove", "books", "--yes"]) == 0


# --- the real embedding model, once ----------------------------------------------------------
@pytest.mark.slow
def test_import_with_minilm_and_chat(tmp_path: Path, settings: Settings) -> None:
    from chatrec.retrieve.embed import MiniLMEmbedder

    src = write(tmp_path / "books.csv", BOOKS_CSV)
    rep = add("books", src, settings=settings, **BOOKS_FLAGS)  # default embedder: MiniLM
    assert rep.embedded == 8 and rep.collection and "allminilm" in rep.collection
    _, reply = chat(settings, "books", "a story about dragons and a quest", embedder=MiniLMEmbedder())
    assert reply.picks and reply.picks[0].item_id == "7", [p.title for p in reply.picks]
    write(src, BOOKS_CSV.replace("Hackers and AI", "Hackers, AI and a heist"))
    up = update("books", settings=settings)
    assert up.embedded == 1 and up.changed == 1
