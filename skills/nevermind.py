"""Talk that touches no device: never mind, announcements to every room, questions about Hearth."""

from __future__ import annotations

from typing import Annotated, Literal

from assistant.errors import SkillError
from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill


@skill("HassNevermind")
def nevermind(ctx: SkillContext) -> SkillResult:
    """Do nothing: the user changed their mind ('never mind', 'forget it')."""
    return SkillResult(reply=ctx.t("brain.okay"), intents=(Intent("HassNevermind"),))


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
