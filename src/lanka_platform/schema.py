"""The base of every API and event model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """A pydantic model whose validator is built on first use, not at import: every model
    built at import time is paid for in each Lambda cold start."""

    model_config = ConfigDict(defer_build=True)
