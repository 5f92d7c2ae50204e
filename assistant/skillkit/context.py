"""What a skill gets besides its arguments: the home, timers, clock, settings and a voice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant import i18n
from assistant.errors import SkillError
from assistant.home.inventory import Entity, Inventory
from assistant.home.resolve import Resolver
from assistant.i18n import names as i18n_names
from assistant.skillkit.timers import TimerManager


class NeedsChoice(SkillError):
    """The target is ambiguous; the message asks "which one?" and ``choices`` lists the names."""

    code = "ambiguous"

    def __init__(self, message: str, choices: Iterable[str]) -> None:
        super().__init__(message)
        self.choices = tuple(choices)


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


@dataclass(frozen=True)
class SkillContext:
    """Injected into a skill's ``SkillContext`` parameter; never part of the tool schema."""

    inventory: Inventory
    resolver: Resolver
    timers: TimerManager
    clock: Callable[[], dt.datetime] = _now
    """Wall-clock time (timezone-aware), injectable for tests."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    announce: Callable[[str], None] = lambda text: None
    """Speak something later (a timer ringing), outside the request/reply turn."""
    broadcast: Callable[[str], None] = lambda text: None
    """Send a message to be spoken in every room (publishes a ``Broadcast`` event)."""
    area: str | None = None
    """The speaker's area id, if known."""
    language: str = "en"
    dry_run: bool = False
    """Resolve and reply, but start, store and change nothing."""
    confirmed: bool = False
    """The user already said "yes" to this exact call."""
    areas_used: list[str] = field(default_factory=list)
    """Area ids that decided a target while the skill ran (the room said or the speaker's room)."""

    @property
    def zh(self) -> bool:
        return self.language.startswith("zh")

    def say(self, en: str, zh: str) -> str:
        """The reply in the conversation's language (prefer :meth:`t`, whose texts live in tables)."""
        return zh if self.zh else en

    def t(self, key: str, **values: Any) -> str:
        """The reply ``key`` from the conversation language's table (see :mod:`assistant.i18n`)."""
        return i18n.text(key, self.language, **values)

    def targets(
        self,
        name: str | None = None,
        *,
        area: str | None = None,
        floor: str | None = None,
        domain: str | None = None,
        device_class: str | None = None,
        domains: Iterable[str] | None = None,
        local: bool = True,
    ) -> tuple[Entity, ...]:
        """Resolve a spoken target to entities, or raise: NeedsChoice to ask back, SkillError to refuse.

        ``local=False`` ignores the speaker's room (questions like "which lights are on?").
        """
        if not (name or area or floor or domain or device_class):
            raise SkillError(self.t("target.no_target"), code="no_target")
        res = self.resolver.resolve(
            name, area=area, floor=floor, domain=domain, device_class=device_class,
            speaker_area=self.area if local else None, domains=domains,
        )
        if res.status == "ok":
            if res.area is not None and not floor:
                self.areas_used.append(res.area.id)
            return res.entities
        if res.status == "ambiguous":
            raise NeedsChoice(i18n_names.failure(res, self.language),
                              [i18n_names.entity_name(e, self.language) for e in res.entities])
        raise SkillError(i18n_names.failure(res, self.language), code=f"target_{res.status}")
