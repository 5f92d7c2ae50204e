"""Never mind: the user called off the request."""

from __future__ import annotations

from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from assistant.skillkit.spec import ToolCall


@skill("HassNevermind")
def nevermind(ctx: SkillContext) -> SkillResult:
    """Do nothing: the user changed their mind ('never mind', 'forget it')."""
    return SkillResult(reply=ctx.say("Okay.", "好的。"), intents=(Intent("HassNevermind"),))


_FORGET_EN = (
    r"(?:please )?(?:forget|delete|erase|clear|remove) (?P<scope>what|everything|all) (?:i (?:have )?said|i told you|"
    r"you heard)(?: (?P<period>today|ever))?|(?:please )?(?:forget|delete|erase|clear) (?:my|the) "
    r"(?:history|records?|recordings?|log)(?: (?:from |of |for )?(?P<period2>today|all time))?"
)
_FORGET_ZH = (
    r"(?:请)?(?:删除|清除|清空|忘掉|忘记)(?:我)?(?P<period>今天|所有|全部)?(?:的)?(?:说的话|说过的话|记录|对话记录|历史记录|"
    r"对话|历史)(?:吧)?|(?:请)?把(?P<period2>今天|所有|全部)?(?:的)?(?:记录|对话记录|历史记录)(?:都)?(?:删除|删掉|清除|清空)(?:吧)?"
)
_ALL = {"ever", "all time", "all", "所有", "全部"}
"""Words for "the whole record" rather than today's."""


@skill("HearthForget", sentences=(_FORGET_EN, _FORGET_ZH), llm=False)
def forget(ctx: SkillContext, period: str | None = None, period2: str | None = None,
           scope: str | None = None) -> SkillResult:
    """Delete the household's record of what was said (today, or all of it), after a "yes"."""
    when = period or period2
    everything = when in _ALL or (when is None and scope in ("everything", "all"))
    if not ctx.confirmed:
        return SkillResult(
            reply=ctx.say("Delete the record of everything you've said" + ("" if everything else " today") + "?",
                          "确定删除" + ("所有" if everything else "今天") + "的对话记录吗？"),
            expects_reply=True, confirm=ToolCall("HearthForget", {"period": "all" if everything else "today"}),
        )
    start = ctx.clock().replace(hour=0, minute=0, second=0, microsecond=0)
    slots = {} if everything else {"since": start.timestamp()}
    return SkillResult(
        reply=ctx.say("Done, I've deleted it.", "好的，已删除。"),
        intents=(Intent("HearthForget", slots),),
    )
