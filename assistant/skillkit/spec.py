"""Tool specs and tool calls: what the brain (templates or LLM) and the skills exchange."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A skill as a tool: its name (a Home Assistant intent name for built-ins) and JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]
    """JSON schema of the arguments: ``{"type": "object", "properties": {...}, "required": [...]}``."""
    domains: tuple[str, ...] = ()
    """Home Assistant domains the tool acts on, from the skill's declared services; its ``name``
    argument is then a device of one of these (the grammar's and validator's closed set)."""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A request to run one skill with arguments exactly as spoken (names, amounts, units)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "args": dict(self.args)}
