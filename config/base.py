"""The base of every configuration model: frozen, and unknown keys are errors (typos do not pass)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
