"""Your own CSV / JSONL file as a catalog: import, incremental update, list, info, remove.

The public API is :mod:`chatrec.importer.api`; the command line is :mod:`chatrec.importer.cli`
(``python -m chatrec catalog ...``).
"""

from chatrec.importer.api import *  # noqa: F403
from chatrec.importer.api import __all__  # noqa: F401
