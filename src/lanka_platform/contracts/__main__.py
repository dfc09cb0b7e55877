"""`python -m lanka_platform.contracts` writes every event's JSON Schema into the repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lanka_platform.contracts import registry
from lanka_platform.events import Contract, Envelope

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def schema_of(contract: type[Contract]) -> dict[str, Any]:
    schema: dict[str, Any] = Envelope[contract].model_json_schema()  # type: ignore[valid-type]
    schema["title"] = contract.detail_type
    schema["x-source"] = contract.source
    schema["x-version"] = contract.version
    return schema


def schema_path(contract: type[Contract]) -> Path:
    return SCHEMA_DIR / f"{contract.detail_type}.v{contract.version}.json"


def export() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    written = []
    for contract in registry().values():
        path = schema_path(contract)
        path.write_text(json.dumps(schema_of(contract), indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in export():
        print(path)
