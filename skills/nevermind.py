"""Talk that touches no device: never mind, announcements to every room, questions about Hearth."""

from __future__ import annotations

from typing import Annotated, Literal

from assistant.errors import SkillError
from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from assistant.skillkit.spec import ToolCall


@skill("HassNevermind")
def nevermind(ctx: SkillContext) -> SkillResult:
    """Do nothing: the user changed their mind ('never mind', 'forget it')."""
    return SkillResult(reply=ctx.t("brain.okay"), intents=(Intent("HassNevermind"),))


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
            reply=ctx.t("forget.ask_all" if everything else "forget.ask_today"),
            expects_reply=True, confirm=ToolCall("HearthForget", {"period": "all" if everything else "today"}),
        )
    start = ctx.clock().replace(hour=0, minute=0, second=0, microsecond=0)
    slots = {} if everything else {"since": start.timestamp()}
    return SkillResult(
        reply=ctx.t("forget.done"),
        intents=(Intent("HearthForget", slots),),
    )


Message = Annotated[str, "the message as spoken, e.g. 'dinner is ready'"]


@skill("HassBroadcast")
def broadcast(ctx: SkillContext, message: Message) -> SkillResult:
    """Announce a message in every room ('tell everyone dinner is ready')."""
    text = message.strip().strip(".,!?。！？")
    if not text:
        raise SkillError(ctx.t("broadcast.what"), code="missing_argument")
    if not ctx.dry_run:
        ctx.broadcast(text)
    return SkillResult(reply=ctx.t("broadcast.done", message=text),
                       intents=(Intent("HassBroadcast", {"message": text}),))


Topic = Literal["hello", "listening", "data", "commands", "creator", "name"]


@skill("HassRespond")
def respond(ctx: SkillContext, response: Annotated[Topic, "what the user asked about Hearth itself"]) -> SkillResult:
    """Answer a question about Hearth itself: hello, is it always listening, where data goes,
    what it can do, who made it, its name."""
    return SkillResult(reply=ctx.t(f"respond.{response}"), intents=(Intent("HassRespond", {"response": response}),))
