"""Conversation memory: the last command, its undo, and a pending question, per conversation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.brain.gate import Pending
from assistant.intents import Intent
from assistant.skillkit.spec import ToolCall


@dataclass(frozen=True, slots=True)
class Exchange:
    """One understood command, kept for follow-ups."""

    text: str
    call: ToolCall | None
    intents: tuple[Intent, ...] = ()
    undo: tuple[Intent, ...] = ()
    at: float = 0.0
    """Clock time, seconds."""


@dataclass(slots=True)
class Conversation:
    history: list[Exchange] = field(default_factory=list)
    confirm: Pending | None = None
    """A sensitive request waiting for "yes" (or for the PIN)."""
    choice: ToolCall | None = None
    """A call waiting for the user to pick one of ``choices`` as its target."""
    choices: tuple[str, ...] = ()
    asked_at: float = 0.0


class Memory:
    """Conversations by id; anything older than the follow-up window is forgotten."""

    def __init__(self, window_s: float, *, clock: Callable[[], float] = time.monotonic, keep: int = 4) -> None:
        self.window_s = window_s
        self._clock = clock
        self._keep = keep
        self._convs: dict[str, Conversation] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def get(self, conversation_id: str) -> Conversation:
        """The conversation with stale turns and questions dropped."""
        now = self._clock()
        with self._lock:
            conv = self._convs.setdefault(conversation_id, Conversation())
            conv.history = [x for x in conv.history if now - x.at <= self.window_s]
            if now - conv.asked_at > self.window_s:
                conv.confirm, conv.choice, conv.choices = None, None, ()
            return conv

    def remember(self, conversation_id: str, exchange: Exchange) -> None:
        with self._lock:
            conv = self._convs.setdefault(conversation_id, Conversation())
            conv.history = [*conv.history, exchange][-self._keep:]

    def ask(self, conversation_id: str, *, confirm: Pending | None = None,
            choice: ToolCall | None = None, choices: tuple[str, ...] = ()) -> None:
        with self._lock:
            conv = self._convs.setdefault(conversation_id, Conversation())
            conv.confirm, conv.choice, conv.choices = confirm, choice, choices
            conv.asked_at = self._clock()

    def clear_question(self, conversation_id: str) -> None:
        self.ask(conversation_id)

    def forget(self, conversation_id: str) -> None:
        with self._lock:
            self._convs.pop(conversation_id, None)

    def pop_last(self, conversation_id: str) -> Exchange | None:
        with self._lock:
            conv = self._convs.get(conversation_id)
            if not conv or not conv.history:
                return None
            return conv.history.pop()
