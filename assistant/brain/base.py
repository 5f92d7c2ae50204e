"""The understanding stage's seam."""

from __future__ import annotations

from typing import Protocol

from assistant.intents import Understanding


class Brain(Protocol):
    def understand(
        self,
        text: str,
        *,
        area: str | None = None,
        language: str = "en",
        conversation_id: str = "default",
        execute: bool = True,
    ) -> Understanding:
        """Turn an utterance into a reply and intents.

        ``area``: the speaker's room (id or name). ``execute=False`` (batch, dry run)
        resolves and replies but changes nothing: no timers, no lists, no conversation memory.
        """
        ...
