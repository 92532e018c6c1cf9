"""Build the movies catalog's conversation log from ReDial (see chatrec/conversations.py).

    python scripts/build_conversations.py --data ../shared/data --catalog catalogs/movies

Reads ``redial-dev/valid_data.jsonl`` + ``movies_with_mentions.csv``, renders every ``@id`` as
"Title (Year)", links each mentioned movie to a catalog id with the same title index the
recommender uses, and writes ``conversations.jsonl.gz`` (one dialogue a line; seeker turns are
"user", recommender turns "assistant"), the MiniLM vectors of every recommender turn's context
(``conversations.f16.npy`` + ``conversations.json``), and the manifest key ``"conversations"``
with the ReDial attribution (CC BY 4.0, Li et al. 2018). build_catalogs.py calls this.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LOG_FILE = "conversations.jsonl.gz"
ATTRIBUTION = ("Conversations come from the ReDial data set (Li et al., \"Towards Deep "
               "Conversational Recommendations\", NeurIPS 2018), CC BY 4.0: "
               "https://redialdata.github.io/website/")
SOURCE = "ReDial (Li et al., NeurIPS 2018), CC BY 4.0: https://redialdata.github.io/website/"


def build_conversations(data: Path, catalog_dir: Path) -> dict[str, Any]:
    from chatrec.catalog import Catalog
    from chatrec.eval import redial
    from chatrec.retrieve.conversations import write_shipped_vectors
    from chatrec.retrieve.embed import MiniLMEmbedder
    from chatrec.understand.titles import TitleIndex

    src = data / "redial-dev"
    catalog = Catalog.from_folder(catalog_dir)
    link = redial.Linker(TitleIndex(catalog))
    names = redial.load_mentions(src / "movies_with_mentions.csv")
    dialogues = redial.load_dialogues(src / "valid_data.jsonl")
    lines: list[str] = []
    mentions = linked = 0
    for d in dialogues:
        turns = []
        for t in redial.turns_of(d, names):
            ids = [link(n) for n in t.targets]
            mentions += len(ids)
            linked += sum(i is not None for i in ids)
            turns.append({"role": t.role, "text": t.text,
                          "items": list(dict.fromkeys(i for i in ids if i is not None))})
        lines.append(json.dumps({"id": str(d["conversationId"]), "source": "redial",
                                 "turns": turns}, ensure_ascii=False, sort_keys=True))
    out = catalog_dir / LOG_FILE
    with gzip.GzipFile(out, "wb", mtime=0) as f:  # reproducible bytes
        f.write(("\n".join(lines) + "\n").encode("utf-8"))
    manifest_path = catalog_dir / "catalog.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["conversations"] = LOG_FILE
    if ATTRIBUTION not in manifest.get("attribution", ""):
        manifest["attribution"] = (manifest.get("attribution", "") + " " + ATTRIBUTION).strip()
    manifest["sources"] = [s for s in manifest.get("sources", []) if s != SOURCE] + [SOURCE]
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True)
                             + "\n", encoding="utf-8")
    catalog = Catalog.from_folder(catalog_dir)
    contexts = write_shipped_vectors(out, MiniLMEmbedder(), {i: n for n, i in enumerate(catalog.items)})
    return {"dialogues": len(lines), "mentions": mentions, "linked": linked, "contexts": contexts}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--catalog", type=Path, default=REPO / "catalogs" / "movies")
    args = ap.parse_args(argv)
    print(json.dumps(build_conversations(args.data.resolve(), args.catalog.resolve())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
