"""The catalog model: a folder with a manifest, items and maybe ratings (see ``catalogs/README.md``).

:mod:`~chatrec.catalog.manifest` (``catalog.json``), :mod:`~chatrec.catalog.files` (items and
ratings files), :mod:`~chatrec.catalog.model` (:class:`Catalog`) and
:mod:`~chatrec.catalog.registry` (finding and loading catalogs by name). Importing a user's own
file into a catalog is :mod:`chatrec.importer`; this package only reads.
"""

from chatrec.catalog.files import Ratings, load_items, load_ratings
from chatrec.catalog.manifest import MANIFEST_FILE, FieldSpec, Manifest, format_value, read_manifest
from chatrec.catalog.model import Catalog
from chatrec.catalog.registry import (
    catalog_dirs,
    clear_cache,
    list_catalogs,
    load_catalog,
    user_catalogs_dir,
)

__all__ = [
    "MANIFEST_FILE", "Catalog", "FieldSpec", "Manifest", "Ratings", "catalog_dirs", "clear_cache",
    "format_value", "list_catalogs", "load_catalog", "load_items", "load_ratings", "read_manifest",
    "user_catalogs_dir",
]
