"""List cells as TMDB ships them: JSON arrays of objects count by their names
(chatrec.importer.values.to_list)."""

from __future__ import annotations

import pytest

from chatrec.importer.values import looks_like_list, to_list

TMDB_GENRES = '[{"id": 28, "name": "Action"}, {"id": 12, "name": "Adventure"}, {"id": 28, "name": "action"}]'


@pytest.mark.parametrize(("cell", "want"), [
    (TMDB_GENRES, ["Action", "Adventure"]),
    ('[{"label": "space opera"}, {"id": 3}]', ["space opera"]),
    ('["sci-fi", "classic"]', ["sci-fi", "classic"]),
    ("sci-fi|classic", ["sci-fi", "classic"]),
    ('[{"id": 1, "name": ["nested"]}]', []),
])
def test_to_list_reads_objects_by_name(cell: str, want: list[str]) -> None:
    assert to_list(cell, "|") == want


def test_a_column_of_object_arrays_is_a_list_column() -> None:
    assert looks_like_list([TMDB_GENRES, '[{"id": 18, "name": "Drama"}]', "[]"], "|")
