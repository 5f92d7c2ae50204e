"""The current time and date."""

from __future__ import annotations

from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill

_WEEKDAYS_ZH = "一二三四五六日"


@skill("HassGetCurrentTime")
def current_time(ctx: SkillContext) -> SkillResult:
    """Say the current time."""
    now = ctx.clock()
    en = now.strftime("%I:%M %p").lstrip("0")
    return SkillResult(reply=ctx.say(f"It's {en}.", f"现在是{now.hour}点{now.minute:02d}分。"),
                       intents=(Intent("HassGetCurrentTime"),))


@skill("HassGetCurrentDate")
def current_date(ctx: SkillContext) -> SkillResult:
    """Say today's date."""
    d = ctx.clock()
    en = f"{d.strftime('%A')}, {d.strftime('%B')} {d.day}, {d.year}"
    zh = f"今天是{d.year}年{d.month}月{d.day}日，星期{_WEEKDAYS_ZH[d.weekday()]}。"
    return SkillResult(reply=ctx.say(f"Today is {en}.", zh), intents=(Intent("HassGetCurrentDate"),))
