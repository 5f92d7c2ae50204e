"""The understanding stage's seam."""

from __future__ import annotations

from collections.abc import Callable
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

    def prefetch(
        self,
        text: str,
        *,
        area: str | None = None,
        language: str = "en",
        conversation_id: str = "default",
        stop: Callable[[], bool] | None = None,
    ) -> bool | None:
        """Start on words that are probably the whole command, before the speaker is known to be
        done; must act on nothing. ``stop`` turns True when the speaker went on talking.

        Returns whether the words already make a whole command (the end-of-turn decision uses it):
        True, False, or None when that is not known."""
        ...
