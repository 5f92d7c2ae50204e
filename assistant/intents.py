"""Intents: what Hearth understood, in Home Assistant's vocabulary, plus the resolved service calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Action:
    """One Home Assistant service call, e.g. ``light.turn_on`` on ``light.kitchen``."""

    service: str
    """``domain.service`` as Home Assistant names it."""
    entity_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    """Service data, e.g. ``{"brightness_pct": 50}``."""

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "entity_id": self.entity_id, "data": dict(self.data)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Action:
        return cls(service=str(d["service"]), entity_id=d.get("entity_id"), data=dict(d.get("data") or {}))


@dataclass(frozen=True, slots=True)
class Intent:
    """One recognised intent (``HassTurnOn`` …), its slots and the actions it resolves to."""

    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "slots": dict(self.slots),
            "actions": [a.as_dict() for a in self.actions],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Intent:
        return cls(
            intent=str(d["intent"]),
            slots=dict(d.get("slots") or {}),
            actions=tuple(Action.from_dict(a) for a in d.get("actions") or ()),
        )


@dataclass(frozen=True, slots=True)
class Understanding:
    """The brain's answer to one utterance."""

    text: str
    """What the user said (the transcript)."""
    reply: str
    """What Hearth says back."""
    intents: tuple[Intent, ...] = ()
    path: str = "none"
    """``fast`` (templates), ``llm`` or ``none``."""
    ms: float = 0.0
    """Time spent understanding, milliseconds."""
    language: str = "en"
    expects_reply: bool = False
    """True when the reply asks a question: the pipeline listens again without the wake word."""
    llm_raw: str = ""
    """The LLM's raw answer when the LLM path ran (for the audit log); empty otherwise."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "reply": self.reply,
            "intents": [i.as_dict() for i in self.intents],
            "path": self.path,
            "ms": round(self.ms, 1),
        }
