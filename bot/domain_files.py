"""The Rasa domain as the files in `domain/` give it: one dict, merged the way Rasa merges them.

The domain is a folder so that each topic's answers live in a file of their own (`domain/responses/`)
and the contract (intents, slots, forms, actions) in `domain/core.yml`. Tests and tools that read the
domain without loading Rasa use `load_domain_dict`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT

DOMAIN_DIR = PROJECT_ROOT / "domain"


def domain_files(root: Path = DOMAIN_DIR) -> list[Path]:
    return sorted(p for p in root.rglob("*.yml") if p.is_file())


def load_domain_dict(root: Path = DOMAIN_DIR) -> dict[str, Any]:
    """Every domain file merged: lists are joined, mappings are joined, a key defined twice is an error."""
    merged: dict[str, Any] = {}
    for path in domain_files(root):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in part.items():
            if key == "version":
                merged.setdefault(key, value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                section = merged.setdefault(key, {})
                twice = section.keys() & value.keys()
                if twice:
                    raise ValueError(f"{path}: {key} {sorted(twice)} already defined in another domain file")
                section.update(value)
            else:
                merged[key] = value
    return merged
