"""Countdown timers: start, cancel, pause, resume, add or remove time, status.

A timer is addressed by its name ("the pasta timer"), by the time it was set for ("the ten minute
timer") or by the room it was set in ("the kitchen timer"), as Home Assistant's sentences do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from assistant import i18n
from assistant.errors import SkillError
from assistant.i18n.names import area_name
from assistant.intents import Intent
from assistant.skillkit.context import NeedsChoice, SkillContext
from assistant.skillkit.skill import SkillResult, skill
from assistant.skillkit.timers import Timer, describe_s
from skills._common import slots

Hours = Annotated[int | None, "hours"]
Minutes = Annotated[int | None, "minutes"]
Seconds = Annotated[int | None, "seconds"]
TimerName = Annotated[str | None, "timer name as spoken, e.g. 'pasta'"]
StartHours = Annotated[int | None, "hours the timer was set for ('the 2 hour timer')"]
StartMinutes = Annotated[int | None, "minutes the timer was set for ('the ten minute timer')"]
StartSeconds = Annotated[int | None, "seconds the timer was set for"]
TimerArea = Annotated[str | None, "room the timer was set in ('the kitchen timer')"]

MAX_S = 24 * 3600


def _duration(ctx: SkillContext, hours: int | None, minutes: int | None, seconds: int | None) -> int:
    total = (hours or 0) * 3600 + (minutes or 0) * 60 + (seconds or 0)
    if total <= 0:
        raise SkillError(ctx.t("timer.how_long"), code="missing_argument")
    if total > MAX_S:
        raise SkillError(ctx.t("timer.too_long"))
    return total


def _label(t: Timer, ctx: SkillContext) -> str:
    if t.name:
        return ctx.t("timer.named", name=t.name)
    return ctx.t("timer.lasting", duration=_length(t.set_s or t.duration_s, ctx))


def _length(seconds: float, ctx: SkillContext) -> str:
    """A timer's length as it qualifies the word "timer": "10 minute", "1 hour and 30 minute", "10分钟"."""
    said = describe_s(seconds, ctx.language)
    if i18n.base(ctx.language) == "en":
        for unit in ("hour", "minute", "second"):
            said = said.replace(f"{unit}s", unit)
    return said


class Which:
    """How the user addressed a timer: by name, by the time it was set for, by room."""

    def __init__(self, ctx: SkillContext, name: str | None, start_hours: int | None = None,
                 start_minutes: int | None = None, start_seconds: int | None = None,
                 area: str | None = None) -> None:
        self.name = (name or "").strip() or None
        parts = (start_hours, start_minutes, start_seconds)
        self.set_s = None if all(p is None for p in parts) else (
            (start_hours or 0) * 3600 + (start_minutes or 0) * 60 + (start_seconds or 0))
        where = ctx.resolver.area(area) if area else None
        self.area_said = area
        self.area = where
        self.slots = slots(name=self.name, start_hours=start_hours, start_minutes=start_minutes,
                           start_seconds=start_seconds, area=where.name if where else area,
                           area_id=where.id if where else None)

    def find(self, ctx: SkillContext) -> list[Timer]:
        found = ctx.timers.find(self.name)
        if self.set_s is not None:
            found = [t for t in found if round(t.set_s or t.duration_s) == self.set_s]
        if self.area_said:
            found = [t for t in found if self.area is not None and t.area == self.area.id]
        return found

    def none(self, ctx: SkillContext) -> str:
        if self.name:
            return ctx.t("timer.none_named", name=self.name)
        if self.set_s is not None:
            return ctx.t("timer.none_named", name=_length(self.set_s, ctx))
        if self.area is not None:
            return ctx.t("timer.none_named", name=area_name(self.area, ctx.language))
        return ctx.t("timer.none")


def _one(ctx: SkillContext, which: Which) -> Timer | None:
    """The single timer meant, None when none fits; asks back when several do."""
    found = which.find(ctx)
    if not found:
        return None
    if len(found) > 1:
        labels = [_label(t, ctx) for t in found]
        raise NeedsChoice(ctx.t("timer.which", choices=i18n.join(labels, ctx.language, conjunction="or")), labels)
    return found[0]


@skill("HassStartTimer")
def start_timer(ctx: SkillContext, hours: Hours = None, minutes: Minutes = None, seconds: Seconds = None,
                name: TimerName = None) -> SkillResult:
    """Start a countdown timer, optionally named ('a 10 minute pasta timer')."""
    total = _duration(ctx, hours, minutes, seconds)
    label = (name or "").strip()
    if not ctx.dry_run:
        ctx.timers.start(total, label, language=ctx.language, area=ctx.area)
    what = describe_s(total, ctx.language)
    reply = (ctx.t("timer.set_named", name=label, duration=what) if label else ctx.t("timer.set", duration=what))
    return SkillResult(reply=reply[:1].upper() + reply[1:],
                       intents=(Intent("HassStartTimer", slots(hours=hours, minutes=minutes,
                                                               seconds=seconds, name=name)),))


def _act(ctx: SkillContext, intent: str, which: Which, do: Callable[[Timer], None], reply: str,
         **extra: object) -> SkillResult:
    """Run ``do`` on the timer meant; ``reply`` is a table key taking ``{timer}`` and ``extra``."""
    intents = (Intent(intent, {**which.slots, **slots(**{k: v for k, v in extra.items() if k != "duration"})}),)
    t = _one(ctx, which)
    if t is None:
        return SkillResult(reply=which.none(ctx), intents=intents)
    if not ctx.dry_run:
        do(t)
    return SkillResult(reply=ctx.t(reply, timer=_label(t, ctx), **extra), intents=intents)


@skill("HassCancelTimer")
def cancel_timer(ctx: SkillContext, name: TimerName = None, start_hours: StartHours = None,
                 start_minutes: StartMinutes = None, start_seconds: StartSeconds = None,
                 area: TimerArea = None) -> SkillResult:
    """Cancel a timer."""
    which = Which(ctx, name, start_hours, start_minutes, start_seconds, area)
    return _act(ctx, "HassCancelTimer", which, ctx.timers.cancel, "timer.cancelled")


@skill("HassCancelAllTimers")
def cancel_all_timers(ctx: SkillContext) -> SkillResult:
    """Cancel every timer."""
    found = ctx.timers.all()
    if not ctx.dry_run:
        for t in found:
            ctx.timers.cancel(t)
    n = len(found)
    return SkillResult(reply=ctx.t("timer.cancelled_all_one") if n == 1 else ctx.t("timer.cancelled_all", count=n),
                       intents=(Intent("HassCancelAllTimers"),))


@skill("HassPauseTimer")
def pause_timer(ctx: SkillContext, name: TimerName = None, start_hours: StartHours = None,
                start_minutes: StartMinutes = None, start_seconds: StartSeconds = None,
                area: TimerArea = None) -> SkillResult:
    """Pause a running timer."""
    which = Which(ctx, name, start_hours, start_minutes, start_seconds, area)
    return _act(ctx, "HassPauseTimer", which, ctx.timers.pause, "timer.paused")


@skill("HassUnpauseTimer")
def unpause_timer(ctx: SkillContext, name: TimerName = None, start_hours: StartHours = None,
                  start_minutes: StartMinutes = None, start_seconds: StartSeconds = None,
                  area: TimerArea = None) -> SkillResult:
    """Resume a paused timer."""
    which = Which(ctx, name, start_hours, start_minutes, start_seconds, area)
    return _act(ctx, "HassUnpauseTimer", which, ctx.timers.resume, "timer.resumed")


def _change(ctx: SkillContext, intent: str, sign: int, hours: int | None, minutes: int | None,
            seconds: int | None, which: Which) -> SkillResult:
    delta = _duration(ctx, hours, minutes, seconds)
    what = describe_s(delta, ctx.language)
    return _act(ctx, intent, which, lambda t: ctx.timers.add(t, sign * delta),
                "timer.added" if sign > 0 else "timer.removed", duration=what,
                hours=hours, minutes=minutes, seconds=seconds)


@skill("HassIncreaseTimer")
def increase_timer(ctx: SkillContext, hours: Hours = None, minutes: Minutes = None, seconds: Seconds = None,
                   name: TimerName = None, start_hours: StartHours = None, start_minutes: StartMinutes = None,
                   start_seconds: StartSeconds = None, area: TimerArea = None) -> SkillResult:
    """Add time to a timer."""
    which = Which(ctx, name, start_hours, start_minutes, start_seconds, area)
    return _change(ctx, "HassIncreaseTimer", 1, hours, minutes, seconds, which)


@skill("HassDecreaseTimer")
def decrease_timer(ctx: SkillContext, hours: Hours = None, minutes: Minutes = None, seconds: Seconds = None,
                   name: TimerName = None, start_hours: StartHours = None, start_minutes: StartMinutes = None,
                   start_seconds: StartSeconds = None, area: TimerArea = None) -> SkillResult:
    """Take time off a timer."""
    which = Which(ctx, name, start_hours, start_minutes, start_seconds, area)
    return _change(ctx, "HassDecreaseTimer", -1, hours, minutes, seconds, which)


@skill("HassTimerStatus")
def timer_status(ctx: SkillContext, name: TimerName = None, start_hours: StartHours = None,
                 start_minutes: StartMinutes = None, start_seconds: StartSeconds = None,
                 area: TimerArea = None) -> SkillResult:
    """Say how long is left on one or all timers."""
    which = Which(ctx, name, start_hours, start_minutes, start_seconds, area)
    found = which.find(ctx)
    intents = (Intent("HassTimerStatus", which.slots),)
    if not found:
        return SkillResult(reply=which.none(ctx), intents=intents)
    parts = []
    for t in found:
        left = describe_s(ctx.timers.left_s(t), ctx.language)
        paused = ctx.t("timer.paused_mark") if t.paused else ""
        parts.append(ctx.t("timer.left", left=left, timer=_label(t, ctx), paused=paused))
    reply = ctx.t("timer.status", parts=i18n.text("list.separator", ctx.language).join(parts))
    return SkillResult(reply=reply[0].upper() + reply[1:], intents=intents)
