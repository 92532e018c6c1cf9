"""Tests for chatrec.catalog: row validation, manifests, lookups, and the shipped catalogs."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from chatrec.catalog import (
    Catalog,
    FieldSpec,
    Manifest,
    catalog_dirs,
    clear_cache,
    format_value,
    list_catalogs,
    load_catalog,
    load_items,
    read_manifest,
)
from chatrec.errors import CatalogError, CatalogRowError
from chatrec.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "catalogs"

FIELDS: dict[str, Any] = {
    "year": {"type": "int", "label": "Year", "role": "year"},
    "runtime": {"type": "int", "label": "Runtime", "unit": "min"},
    "genres": {"type": "list", "label": "Genres", "role": "attribute"},
    "tags": {"type": "list", "label": "Tags", "role": "attribute"},
    "price": {"type": "float", "label": "Price", "unit": "USD"},
    "score": {"type": "float", "label": "Score", "role": "popularity"},
    "early": {"type": "bool", "label": "Early access"},
    "url": {"type": "str", "label": "Link", "role": "link"},
}


def manifest_dict(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": "tiny",
        "title": "Tiny",
        "noun": "thing",
        "plural": "things",
        "items": "items.jsonl",
        "ratings": None,
        "fields": FIELDS,
        "attribute_fields": ["genres", "tags"],
        "display_fields": ["year", "genres", "runtime", "price", "early"],
        "popularity_field": "score",
        "rating_field": None,
        "link_field": "url",
        "attribution": "test data",
    }
    d.update(over)
    return d


def row(i: int | str = 1, **over: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "id": str(i),
        "title": f"Thing {i}",
        "aliases": [],
        "text": f"Thing {i}. A thing.",
        "meta": {"year": 2000, "genres": ["Sci-Fi"]},
    }
    r.update(over)
    return r


def write_catalog(
    folder: Path,
    lines: list[Any],
    *,
    gz: bool = False,
    ratings: str | None = None,
    **manifest_over: Any,
) -> Path:
    """Write a catalog folder; ``lines`` items are dicts (dumped) or raw strings (written as is)."""
    folder.mkdir(parents=True, exist_ok=True)
    items_name = "items.jsonl.gz" if gz else "items.jsonl"
    m = manifest_dict(items=items_name, **manifest_over)
    if ratings is not None:
        m["ratings"] = "ratings.csv"
        (folder / "ratings.csv").write_text(ratings, encoding="utf-8")
    (folder / "catalog.json").write_text(json.dumps(m), encoding="utf-8")
    body = "".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines).encode()
    if gz:
        (folder / items_name).write_bytes(gzip.compress(body))
    else:
        (folder / items_name).write_bytes(body)
    return folder


# --------------------------------------------------------------------------------------
# row validation
# --------------------------------------------------------------------------------------
BAD_ROWS: list[tuple[str, list[Any], int, str, str | None]] = [
    # (case, lines, bad line, message fragment, column)
    ("malformed json", [row(1), '{"id": "2", "title": oops}'], 2, "malformed JSON", None),
    (
        "truncated last line",
        [row(1), row(2), '{"id": "3", "title": "Thi'],
        3,
        "malformed JSON",
        None,
    ),
    ("not an object", [row(1), "[1, 2, 3]"], 2, "JSON object", None),
    ("missing id", [{k: v for k, v in row(1).items() if k != "id"}], 1, "id", "id"),
    ("empty id", [row(1), row(2, id="  ")], 2, "empty id", "id"),
    (
        "missing title",
        [row(1), {k: v for k, v in row(2).items() if k != "title"}],
        2,
        "title",
        "title",
    ),
    ("empty title", [row(1, title="")], 1, "title", "title"),
    ("missing text", [row(1), {k: v for k, v in row(2).items() if k != "text"}], 2, "text", "text"),
    ("duplicate id", [row(1), row(2), row(1)], 3, "first on line 1", "id"),
    ("meta not object", [row(1, meta=["a"])], 1, "meta must be a JSON object", "meta"),
    ("int field given float", [row(1, meta={"year": 1999.5})], 1, "expected int", "meta.year"),
    ("int field given str", [row(1, meta={"year": "1999"})], 1, "expected int", "meta.year"),
    ("int field given bool", [row(1, meta={"year": True})], 1, "expected int", "meta.year"),
    ("float field given str", [row(1, meta={"price": "9.99"})], 1, "expected float", "meta.price"),
    ("list of non-str", [row(1, meta={"genres": ["a", 2]})], 1, "strings only", "meta.genres"),
    ("list field given str", [row(1, meta={"genres": "Drama"})], 1, "expected list", "meta.genres"),
    ("bool field given int", [row(1, meta={"early": 1})], 1, "expected bool", "meta.early"),
    ("null value", [row(1, meta={"year": None})], 1, "null", "meta.year"),
    ("undeclared key", [row(1), row(2, meta={"colour": "red"})], 2, "not declared", "meta.colour"),
    (
        "NaN",
        [row(1), '{"id": "2", "title": "T", "text": "T", "meta": {"price": NaN}}'],
        2,
        "NaN",
        None,
    ),
    ("aliases not list", [row(1, aliases="x")], 1, "aliases", "aliases"),
    ("unknown row key", [row(1, titel="x")], 1, "unknown key", "titel"),
]


@pytest.mark.parametrize("gz", [False, True], ids=["jsonl", "gz"])
@pytest.mark.parametrize(
    ("case", "lines", "line", "fragment", "column"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS]
)
def test_bad_rows_name_their_line(
    tmp_path: Path,
    gz: bool,
    case: str,
    lines: list[Any],
    line: int,
    fragment: str,
    column: str | None,
) -> None:
    folder = write_catalog(tmp_path / "c", lines, gz=gz)
    manifest = read_manifest(folder)
    with pytest.raises(CatalogRowError) as ei:
        load_items(folder / manifest.items_file, manifest)
    err = ei.value
    assert err.line == line, str(err)
    assert fragment in str(err)
    assert err.column == column
    assert str(folder / manifest.items_file) in str(err)
    assert isinstance(err, CatalogError)


@pytest.mark.parametrize("gz", [False, True], ids=["jsonl", "gz"])
def test_plain_and_gzip_load_the_same(tmp_path: Path, gz: bool) -> None:
    lines = [
        row(1, aliases=["Thing One", "Thing 1", "thing one", ""]),
        "",
        "   ",
        row(2, meta={"year": 2010, "price": 5, "genres": [], "early": False}),
        row("x-3"),
    ]
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", lines, gz=gz))
    assert list(cat.items) == ["1", "2", "x-3"]  # file order, blank lines skipped
    assert cat["1"].aliases == ("Thing One",)  # blanks, duplicates and the title itself dropped
    price = cat["2"].meta["price"]
    assert isinstance(price, float) and price == 5.0  # float fields accept ints, stored as float
    assert len(cat) == 3 and "2" in cat and "9" not in cat
    assert [it.id for it in cat] == ["1", "2", "x-3"]
    assert cat.get("9") is None


def test_numeric_ids_become_strings(tmp_path: Path) -> None:
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", [row(1, id=7)]))
    assert list(cat.items) == ["7"]


def test_unknown_item_id_raises_catalog_error(tmp_path: Path) -> None:
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", [row(1)]))
    with pytest.raises(CatalogError, match="unknown item id '42'"):
        cat["42"]


def test_item_count_mismatch(tmp_path: Path) -> None:
    folder = write_catalog(tmp_path / "c", [row(1), row(2)], item_count=3)
    with pytest.raises(CatalogError, match="item_count"):
        Catalog.from_folder(folder)


def test_damaged_gzip(tmp_path: Path) -> None:
    folder = write_catalog(tmp_path / "c", [row(i) for i in range(200)], gz=True)
    p = folder / "items.jsonl.gz"
    p.write_bytes(p.read_bytes()[:-40])
    with pytest.raises(CatalogError, match=r"items\.jsonl\.gz"):
        Catalog.from_folder(folder)


# --------------------------------------------------------------------------------------
# manifest validation
# --------------------------------------------------------------------------------------
BAD_MANIFESTS: list[tuple[str, dict[str, Any], str]] = [
    ("no name", {"name": None}, "'name'"),
    ("bad name", {"name": "a b"}, "'name'"),
    ("no items", {"items": ""}, "'items'"),
    ("items outside", {"items": "../x.jsonl"}, "'items'"),
    ("no fields", {"fields": None}, "'fields'"),
    (
        "bad type",
        {
            "fields": {"year": {"type": "integer"}},
            "attribute_fields": [],
            "display_fields": [],
            "popularity_field": None,
            "link_field": None,
        },
        "'fields.year.type'",
    ),
    (
        "typo in spec",
        {
            "fields": {"year": {"type": "int", "lable": "Year"}},
            "attribute_fields": [],
            "display_fields": [],
            "popularity_field": None,
            "link_field": None,
        },
        "'fields.year.lable'",
    ),
    ("undeclared attribute", {"attribute_fields": ["genres", "moods"]}, "'attribute_fields'"),
    ("undeclared display", {"display_fields": ["colour"]}, "'display_fields'"),
    ("popularity not numeric", {"popularity_field": "url"}, "'popularity_field'"),
    ("link not str", {"link_field": "year"}, "'link_field'"),
    ("votes not numeric", {"votes_field": "url"}, "'votes_field'"),
    ("votes undeclared", {"votes_field": "tmdb_votes"}, "'votes_field'"),
    ("unknown key", {"colour": "red"}, "'colour'"),
    ("bad item_count", {"item_count": -1}, "'item_count'"),
]


@pytest.mark.parametrize(("case", "over", "key"), BAD_MANIFESTS, ids=[c[0] for c in BAD_MANIFESTS])
def test_bad_manifest_names_file_and_key(case: str, over: dict[str, Any], key: str) -> None:
    with pytest.raises(CatalogError) as ei:
        Manifest.from_dict(manifest_dict(**over), path="/x/catalog.json")
    assert "/x/catalog.json" in str(ei.value)
    assert key in str(ei.value)


def test_manifest_defaults_and_specs() -> None:
    d = manifest_dict()
    del d["noun"], d["plural"]
    m = Manifest.from_dict(d, path="p")
    assert (m.noun, m.plural, m.items_file, m.ratings_file) == (
        "item",
        "items",
        "items.jsonl",
        None,
    )
    assert m.fields["runtime"] == FieldSpec("runtime", "int", "Runtime", None, "min")
    assert m.attribute_fields == ("genres", "tags")


def test_manifest_not_json(tmp_path: Path) -> None:
    (tmp_path / "catalog.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"catalog\.json"):
        read_manifest(tmp_path)


# --------------------------------------------------------------------------------------
# lookups, vocabulary, display
# --------------------------------------------------------------------------------------
def test_attributes_and_vocabulary_are_normalized(tmp_path: Path) -> None:
    lines = [
        row(1, meta={"genres": ["Sci-Fi", "Drama"], "tags": ["Time-Travel", "sci fi"]}),
        row(2, meta={"genres": ["Science Fiction"], "tags": ["Café"]}),
        row(3, meta={"year": 1990}),
    ]
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", lines))
    assert cat.attributes("1") == frozenset({"science fiction", "drama", "time travel"})
    assert cat.attributes(cat["2"]) == frozenset({"science fiction", "cafe"})
    assert cat.attributes("3") == frozenset()
    assert cat.vocabulary() == {"science fiction": 2, "drama": 1, "time travel": 1, "cafe": 1}
    assert cat.field_vocabulary("tags") == {"time travel": 1, "science fiction": 1, "cafe": 1}
    assert cat.field_vocabulary("genres")["science fiction"] == 2
    with pytest.raises(CatalogError, match="no field"):
        cat.field_vocabulary("colour")


def test_roles(tmp_path: Path) -> None:
    lines = [row(1, meta={"score": 0.75, "url": "https://example.org/1"}), row(2)]
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", lines))
    assert cat.popularity("1") == 0.75 and cat.popularity("2") == 0.0
    assert cat.link("1") == "https://example.org/1" and cat.link("2") is None
    assert cat.ratings() is None
    assert cat.votes("1") == 0.0  # no votes_field declared


def test_votes_role(tmp_path: Path) -> None:
    fields = dict(manifest_dict()["fields"], votes={"type": "int", "label": "Votes"})
    lines = [row(1, meta={"votes": 120}), row(2, meta={"votes": -3}), row(3)]
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", lines, fields=fields,
                                            votes_field="votes"))
    assert cat.manifest.votes_field == "votes"
    assert [cat.votes(i) for i in ("1", "2", "3")] == [120.0, 0.0, 0.0]


DISPLAY: list[tuple[dict[str, Any], dict[str, str]]] = [
    (
        {"year": 2014, "genres": ["Adventure", "Drama", "Sci-Fi"], "runtime": 169},
        {"Year": "2014", "Genres": "Adventure, Drama, Sci-Fi", "Runtime": "169 min"},
    ),
    ({"price": 9.99}, {"Price": "$9.99"}),
    ({"price": 0.0, "early": True}, {"Price": "Free", "Early access": "Yes"}),
    ({"price": 1499.0, "genres": []}, {"Price": "$1,499.00"}),
    ({}, {}),
]


@pytest.mark.parametrize(("meta", "expected"), DISPLAY)
def test_display_meta(tmp_path: Path, meta: dict[str, Any], expected: dict[str, str]) -> None:
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", [row(1, meta=meta)]))
    assert cat.display_meta(cat["1"]) == expected


@pytest.mark.parametrize(
    ("spec", "value", "text"),
    [
        (FieldSpec("r", "float", unit="/5"), 3.921, "3.92/5"),
        (FieldSpec("m", "int", unit="/100"), 86, "86/100"),
        (FieldSpec("f", "float"), 4.0, "4"),
        (FieldSpec("b", "bool"), False, "No"),
        (FieldSpec("s", "str"), "Valve", "Valve"),
    ],
)
def test_format_value(spec: FieldSpec, value: Any, text: str) -> None:
    assert format_value(spec, value) == text


@pytest.mark.parametrize(
    ("body", "stamps"),
    [
        ("user_id,item_id,rating,timestamp\n1,1,4.5,100\n2,2,3.0,200\n", [100, 200]),
        ("user_id,item_id,rating,timestamp\r\n1,1,4.5,100\r\n\r\n2,2,3,200", [100, 200]),
        ('user_id,item_id,rating,timestamp\n1,"1",4.5,100\n2,2,3.0,200\n', [100, 200]),  # quoted
        ("user_id,item_id,rating\n1,1,4.5\n2,2,3.0\n", [0, 0]),  # no timestamps
    ],
    ids=["lf", "crlf-blank", "quoted", "no-timestamp"],
)
def test_ratings_from_small_catalog(tmp_path: Path, body: str, stamps: list[int]) -> None:
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", [row(1), row(2)], ratings=body))
    r = cat.ratings()
    assert r is not None and len(r) == 2
    assert r.user_ids.tolist() == [1, 2] and r.item_ids.tolist() == ["1", "2"]
    assert r.ratings.tolist() == [4.5, 3.0] and r.timestamps.tolist() == stamps
    assert cat.ratings() is r  # cached


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        ("user_id,item_id,rating,timestamp\n1,1,4.5,100\n1,9,3.0,200\n", 3, "item_id"),
        ("user_id,item_id,rating,timestamp\n1,1,good,100\n", 2, "rating"),
        ("user_id,item_id,rating,timestamp\nu1,1,4,100\n", 2, "user_id"),
        ("user,item,rating\n1,1,4\n", 1, None),
    ],
)
def test_bad_ratings(tmp_path: Path, body: str, line: int, column: str | None) -> None:
    cat = Catalog.from_folder(write_catalog(tmp_path / "c", [row(1)], ratings=body))
    with pytest.raises(CatalogRowError) as ei:
        cat.ratings()
    assert (ei.value.line, ei.value.column) == (line, column)


# --------------------------------------------------------------------------------------
# finding, caching
# --------------------------------------------------------------------------------------
def test_catalog_dirs_user_overrides_shipped(tmp_path: Path) -> None:
    shipped, data = tmp_path / "shipped", tmp_path / "data"
    write_catalog(shipped / "tiny", [row(1)])
    write_catalog(shipped / "other", [row(1)], name="other")
    write_catalog(data / "catalogs" / "tiny", [row(1), row(2)])
    settings = Settings(catalogs_dir=shipped, data_dir=data)
    assert catalog_dirs(settings) == {
        "other": shipped / "other",
        "tiny": data / "catalogs" / "tiny",
    }
    assert list_catalogs(settings) == ["other", "tiny"]
    assert len(load_catalog("tiny", settings)) == 2


def test_load_catalog_cache_and_reload(tmp_path: Path) -> None:
    clear_cache()
    folder = write_catalog(tmp_path / "c", [row(1)])
    a = load_catalog(folder)
    assert load_catalog(str(folder)) is a
    assert load_catalog(folder / "catalog.json") is a
    write_catalog(folder, [row(1), row(2)])
    st = (folder / "items.jsonl").stat()
    os.utime(folder / "items.jsonl", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    b = load_catalog(folder)
    assert b is not a and len(b) == 2
    assert b.content_hash != a.content_hash
    assert Catalog.from_folder(folder).content_hash == b.content_hash


def test_not_a_catalog_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"no catalog\.json"):
        load_catalog(tmp_path)


def test_missing_shipped_folder_says_which_setting(tmp_path: Path) -> None:
    settings = Settings(catalogs_dir=tmp_path / "nowhere", data_dir=tmp_path / "data")
    with pytest.raises(CatalogError, match="nowhere does not exist: set CHATREC_CATALOGS_DIR"):
        load_catalog("movies", settings)


# --------------------------------------------------------------------------------------
# the shipped catalogs (loaded once per module)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(catalogs_dir=SHIPPED, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def movies(settings: Settings) -> Catalog:
    return load_catalog("movies", settings)


@pytest.fixture(scope="module")
def games(settings: Settings) -> Catalog:
    return load_catalog("games", settings)


def by_title(cat: Catalog, title: str) -> list[Any]:
    return [it for it in cat if it.title == title]


def test_shipped_names(settings: Settings) -> None:
    assert {"movies", "games"} <= set(list_catalogs(settings))


def test_unknown_catalog_lists_available(settings: Settings) -> None:
    with pytest.raises(CatalogError, match="movies"):
        load_catalog("books", settings)


def test_movies_shipped(movies: Catalog) -> None:
    assert len(movies) == 9742 == movies.manifest.item_count
    assert len(set(movies.items)) == 9742
    assert movies.manifest.ratings_file == "ratings.csv.gz"
    [inter] = by_title(movies, "Interstellar")
    assert inter.year == 2014 and inter.meta["runtime"] == 169
    assert "Sci-Fi" in inter.values("genres")
    assert "science fiction" in movies.attributes(inter)
    assert movies.display_meta(inter) == {
        "Year": "2014",
        "Genres": "Sci-Fi, IMAX",
        "Runtime": "169 min",
    }
    assert movies.link(inter.id) == "https://www.imdb.com/title/tt0816692/"
    assert 0.9 < movies.popularity(inter.id) <= 1.0
    matrix = movies["2571"]
    assert matrix.title == "The Matrix" and "Matrix, The (1999)" in matrix.aliases
    lost = movies["29"]
    assert (
        lost.title == "The City of Lost Children" and "La Cité des enfants perdus" in lost.aliases
    )
    for it in movies:
        assert it.title and it.text and it.title not in it.aliases
        assert "(no genres listed)" not in it.values("genres")


def test_movies_ratings(movies: Catalog) -> None:
    r = movies.ratings()
    assert r is not None and len(r) == 100836
    assert (
        r.user_ids.shape == r.item_ids.shape == r.ratings.shape == r.timestamps.shape == (100836,)
    )
    assert str(r.user_ids.dtype) == "int64" and str(r.ratings.dtype) == "float32"
    assert str(r.timestamps.dtype) == "int64" and r.item_ids.dtype == object
    assert r.item_ids[0] == "1" and float(r.ratings[0]) == 4.0
    assert int(r.user_ids.max()) == 610


def test_games_shipped(games: Catalog) -> None:
    assert 31_000 < len(games) < 33_000
    assert games.manifest.ratings_file is None and games.ratings() is None
    portal = games["620"]
    assert portal.title == "Portal 2" and portal.year == 2011
    assert games.display_meta(portal) == {
        "Year": "2011",
        "Genres": "Action, Adventure",
        "Price": "$19.99",
    }
    assert "co-op" in games.attributes(portal)
    assert by_title(games, "Command & Conquer: Red Alert 3")  # HTML entities unescaped
    assert not [it for it in games if "&amp;" in it.title]
    free = [it for it in games if it.meta.get("price") == 0.0]
    assert free and all(it.meta["free"] is True for it in free)
    assert all(0.0 <= games.popularity(it.id) <= 1.0 for it in games)
    assert games.vocabulary()["single-player"] > 20_000


# --------------------------------------------------------------------------------------
# the builder's parsing helpers (fast; the full build is run by hand)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def build() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_catalogs", REPO / "scripts" / "build_catalogs.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_catalogs"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    ("raw", "title", "year", "alts"),
    [
        ("Matrix, The (1999)", "The Matrix", 1999, []),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            "The City of Lost Children",
            1995,
            ["La Cité des enfants perdus"],
        ),
        ("Twelve Monkeys (a.k.a. 12 Monkeys) (1995)", "Twelve Monkeys", 1995, ["12 Monkeys"]),
        ("Avventura, L' (Adventure, The) (1960)", "L'Avventura", 1960, ["The Adventure"]),
        ("Crow, The: Wicked Prayer (2005)", "The Crow: Wicked Prayer", 2005, []),
        ("(500) Days of Summer (2009)", "(500) Days of Summer", 2009, []),
        ("Death Note: Desu nôto (2006\u20132007)", "Death Note: Desu nôto", 2006, []),
        ("Babylon 5", "Babylon 5", None, []),
        ("Life Less Ordinary, A (1997)", "A Life Less Ordinary", 1997, []),
    ],
)
def test_parse_movielens_title(
    build: Any, raw: str, title: str, year: int | None, alts: list[str]
) -> None:
    assert build.parse_movielens_title(raw) == (title, year, alts)


@pytest.mark.parametrize(
    ("raw", "price"),
    [
        (4.99, 4.99),
        ("Free To Play", 0.0),
        ("Free", 0.0),
        ("Play for Free!", 0.0),
        ("Free Demo", 0.0),
        ("Install Theme", None),
        ("Third-party", None),
        (None, None),
    ],
)
def test_parse_price(build: Any, raw: Any, price: float | None) -> None:
    assert build.parse_price(raw) == price


@pytest.mark.parametrize(
    ("raw", "iso", "year"),
    [
        ("2018-01-04", "2018-01-04", 2018),
        ("Jan 2018", None, 2018),
        ("Nov 3, 2016", "2016-11-03", 2016),
        ("Q3 2018", None, 2018),
        ("Soon", None, None),
    ],
)
def test_parse_release(build: Any, raw: str, iso: str | None, year: int | None) -> None:
    assert build.parse_release(raw) == (iso, year)


def test_percentile_ranks_share_ties(build: Any) -> None:
    assert build.percentile_ranks([5, 1, 5, 3]) == [0.8333, 0.0, 0.8333, 0.3333]
