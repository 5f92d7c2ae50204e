"""Named countdown timers: start, cancel, pause, resume, add or remove time, status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from assistant.errors import SkillError
from assistant.intents import Intent
from assistant.skillkit.context import NeedsChoice, SkillContext
from assistant.skillkit.skill import SkillResult, skill
from assistant.skillkit.timers import Timer, describe_s
from skills._common import slots

Hours = Annotated[int | None, "hours"]
Minutes = Annotated[int | None, "minutes"]
Seconds = Annotated[int | None, "seconds"]
TimerName = Annotated[str | None, "timer name as spoken, e.g. 'pasta'"]

MAX_S = 24 * 3600


def _duration(ctx: SkillContext, hours: int | None, minutes: int | None, seconds: int | None) -> int:
    total = (hours or 0) * 3600 + (minutes or 0) * 60 + (seconds or 0)
    if total <= 0:
        raise SkillError(ctx.say("How long should the timer be?", "计时器要设多长时间？"), code="missing_argument")
    if total > MAX_S:
        raise SkillError(ctx.say("Timers can run for at most 24 hours.", "计时器最长24小时。"))
    return total


def _label(t: Timer, ctx: SkillContext) -> str:
    if t.name:
        return ctx.say(f"the {t.name} timer", f"{t.name}计时器")
    return ctx.say(f"the {describe_s(t.duration_s)} timer", f"{describe_s(t.duration_s, 'zh')}的计时器")


def _none(ctx: SkillContext, name: str | None) -> str:
    if name:
        return ctx.say(f"There's no {name} timer.", f"没有{name}计时器。")
    return ctx.say("There's no timer running.", "现在没有计时器。")


def _one(ctx: SkillContext, name: str | None) -> Timer | None:
    """The single timer meant, None when none fits; asks back when several do."""
    found = ctx.timers.find(name)
    if not found:
        return None
    if len(found) > 1:
        labels = [_label(t, ctx) for t in found]
        raise NeedsChoice(ctx.say("Which timer: " + " or ".join(labels) + "?",
                                  "哪个计时器：" + "还是".join(labels) + "？"), labels)
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
    reply = ctx.say(f"{label.capitalize()} timer set for {what}." if label else f"Timer set for {what}.",
                    f"{label}计时器已设为{what}。" if label else f"已设置{what}的计时器。")
    return SkillResult(reply=reply, intents=(Intent("HassStartTimer", slots(hours=hours, minutes=minutes,
                                                                         seconds=seconds, name=name)),))


def _act(ctx: SkillContext, intent: str, name: str | None, do: Callable[[Timer], None], en: str, zh: str,
         **extra: int | None) -> SkillResult:
    """Run ``do`` on the timer meant; ``en``/``zh`` take its label as ``{}``."""
    intents = (Intent(intent, slots(name=name, **extra)),)
    t = _one(ctx, name)
    if t is None:
        return SkillResult(reply=_none(ctx, name), intents=intents)
    if not ctx.dry_run:
        do(t)
    label = _label(t, ctx)
    return SkillResult(reply=ctx.say(en.format(label), zh.format(label)), intents=intents)


@skill("HassCancelTimer")
def cancel_timer(ctx: SkillContext, name: TimerName = None) -> SkillResult:
    """Cancel a timer."""
    return _act(ctx, "HassCancelTimer", name, ctx.timers.cancel, "Cancelled {}.", "已取消{}。")


@skill("HassCancelAllTimers")
def cancel_all_timers(ctx: SkillContext) -> SkillResult:
    """Cancel every timer."""
    found = ctx.timers.all()
    if not ctx.dry_run:
        for t in found:
            ctx.timers.cancel(t)
    n = len(found)
    return SkillResult(reply=ctx.say(f"Cancelled {n} timer{'s' if n != 1 else ''}.", f"已取消{n}个计时器。"),
                       intents=(Intent("HassCancelAllTimers"),))


@skill("HassPauseTimer")
def pause_timer(ctx: SkillContext, name: TimerName = None) -> SkillResult:
    """Pause a running timer."""
    return _act(ctx, "HassPauseTimer", name, ctx.timers.pause, "Paused {}.", "已暂停{}。")


@skill("HassUnpauseTimer")
def unpause_timer(ctx: SkillContext, name: TimerName = None) -> SkillResult:
    """Resume a paused timer."""
    return _act(ctx, "HassUnpauseTimer", name, ctx.timers.resume, "Resumed {}.", "已继续{}。")


def _change(ctx: SkillContext, intent: str, sign: int, hours: int | None, minutes: int | None,
            seconds: int | None, name: str | None) -> SkillResult:
    delta = _duration(ctx, hours, minutes, seconds)
    what = describe_s(delta, ctx.language)
    en, zh = (f"Added {what} to {{}}.", f"已给{{}}加了{what}。") if sign > 0 else (
        f"Took {what} off {{}}.", f"已给{{}}减了{what}。")
    return _act(ctx, intent, name, lambda t: ctx.timers.add(t, sign * delta), en, zh,
                hours=hours, minutes=minutes, seconds=seconds)


@skill("HassIncreaseTimer")
def increase_timer(ctx: SkillContext, hours: Hours = None, minutes: Minutes = None, seconds: Seconds = None,
                   name: TimerName = None) -> SkillResult:
    """Add time to a timer."""
    return _change(ctx, "HassIncreaseTimer", 1, hours, minutes, seconds, name)


@skill("HassDecreaseTimer")
def decrease_timer(ctx: SkillContext, hours: Hours = None, minutes: Minutes = None, seconds: Seconds = None,
                   name: TimerName = None) -> SkillResult:
    """Take time off a timer."""
    return _change(ctx, "HassDecreaseTimer", -1, hours, minutes, seconds, name)


@skill("HassTimerStatus")
def timer_status(ctx: SkillContext, name: TimerName = None) -> SkillResult:
    """Say how long is left on one or all timers."""
    found = ctx.timers.find(name)
    if not found:
        return SkillResult(reply=ctx.say("There's no timer running.", "现在没有计时器。"),
                           intents=(Intent("HassTimerStatus", slots(name=name)),))
    parts = []
    for t in found:
        left = describe_s(ctx.timers.left_s(t), ctx.language)
        paused = ctx.say(" (paused)", "（已暂停）") if t.paused else ""
        parts.append(ctx.say(f"{left} left on {_label(t, ctx)}{paused}", f"{_label(t, ctx)}还剩{left}{paused}"))
    reply = ctx.say("; ".join(parts) + ".", "；".join(parts) + "。")
    return SkillResult(reply=reply[0].upper() + reply[1:], intents=(Intent("HassTimerStatus", slots(name=name)),))
