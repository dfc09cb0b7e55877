"""Unit tests import services' pure modules (`chalicelib.<service>...`) directly."""

from __future__ import annotations

import sys
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"
for folder in sorted(SERVICES.iterdir()):
    if (folder / "chalicelib").is_dir() and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
