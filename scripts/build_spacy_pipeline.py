"""Builds the local Danish spaCy pipeline that config.yml's SpacyNLP loads.

Danish spaCy models are not on PyPI, so the pipeline is spaCy's Danish language data
(tokeniser rules, stop words) plus the lookup lemmatiser from spacy-lookups-data, saved to disk.
"""
import sys
from pathlib import Path

import spacy


def build(target: Path) -> None:
    nlp = spacy.blank("da")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = "borgerhjaelp_da"
    nlp.meta["description"] = "Danish tokeniser and lookup lemmas for Borgerhjælp (no vectors)"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    print(f"Danish spaCy pipeline written to {target}")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/da_pipeline"))
