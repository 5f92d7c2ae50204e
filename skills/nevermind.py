"""Never mind: the user called off the request."""

from __future__ import annotations

from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill


@skill("HassNevermind")
def nevermind(ctx: SkillContext) -> SkillResult:
    """Do nothing: the user changed their mind ('never mind', 'forget it')."""
    return SkillResult(reply=ctx.say("Okay.", "好的。"), intents=(Intent("HassNevermind"),))
