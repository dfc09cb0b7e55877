"""What a service's Lambda package carries besides its code."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))

from lanka_infra.staging import stage_service  # noqa: E402


def test_the_deals_package_carries_its_cyrillic_fonts(tmp_path: Path) -> None:
    # when
    staged = stage_service(ROOT / "services" / "deals", tmp_path / "deals")
    # then: a Lambda has no system fonts, and PDFs need Cyrillic glyphs
    fonts = staged / "chalicelib" / "deals" / "fonts"
    assert sorted(path.name for path in fonts.iterdir()) == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"]
