"""The current time and date."""

from __future__ import annotations

from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill


@skill("HassGetCurrentTime")
def current_time(ctx: SkillContext) -> SkillResult:
    """Say the current time."""
    now = ctx.clock()
    return SkillResult(reply=ctx.t("clock.time", time12=now.strftime("%I:%M %p").lstrip("0"), hour=now.hour,
                                   minute=f"{now.minute:02d}"),
                       intents=(Intent("HassGetCurrentTime"),))


@skill("HassGetCurrentDate")
def current_date(ctx: SkillContext) -> SkillResult:
    """Say today's date."""
    d = ctx.clock()
    reply = ctx.t("clock.date", weekday=ctx.t(f"weekday.d{d.weekday()}"), month_name=ctx.t(f"month.m{d.month}"),
                  month=d.month, day=d.day, year=d.year)
    return SkillResult(reply=reply, intents=(Intent("HassGetCurrentDate"),))
