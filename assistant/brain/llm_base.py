"""The LLM tool caller's seam: utterance + home + tools in, one tool call (or none, or a question) out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall, ToolSpec


@dataclass(frozen=True, slots=True)
class LlmResult:
    call: ToolCall | None
    """The chosen tool call; None means "no tool" (chatter, off-topic, nothing to do)."""
    ask: str | None = None
    """A clarifying question to ask back instead of acting."""
    raw: str = ""
    """The model's raw output, for the audit log."""
    ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Turn:
    """A previous exchange in the conversation, for follow-ups ("and the bedroom too")."""

    text: str
    call: ToolCall | None


class ToolCaller(Protocol):
    def call(
        self,
        text: str,
        *,
        tools: Sequence[ToolSpec],
        inventory: Inventory,
        area: str | None = None,
        language: str = "en",
        history: Sequence[Turn] = (),
        stop: Callable[[], bool] | None = None,
    ) -> LlmResult:
        """``stop``: polled while decoding; once it returns True the result is incomplete and is
        thrown away by the caller (a prefetch whose user went on talking)."""
        ...

    def warm(self, tools: Sequence[ToolSpec], inventory: Inventory) -> None:
        """Evaluate the fixed prompt prefix (tools + home) once so a command only pays for its own tokens."""
        ...
