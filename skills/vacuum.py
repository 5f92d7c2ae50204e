"""Robot vacuums: start cleaning, stop, return to the dock."""

from __future__ import annotations

from typing import Annotated

from assistant.intents import Action, Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import declare, names, slots

Name = Annotated[str | None, "vacuum name as spoken"]
Area = Annotated[str | None, "area as spoken"]


def _vacuum(ctx: SkillContext, intent: str, service: str, name: str | None, area: str | None,
            reply: str) -> SkillResult:
    ents = ctx.targets(name, area=area, domain=None if name else "vacuum", domains=("vacuum",))
    return SkillResult(
        reply=ctx.t(reply, names=names(ents, ctx)),
        intents=(Intent(intent, slots(name=name, area=area), tuple(Action(service, e.entity_id) for e in ents)),),
    )


@skill("HassVacuumStart", **declare(("vacuum.start",)))
def vacuum_start(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Start the robot vacuum."""
    return _vacuum(ctx, "HassVacuumStart", "vacuum.start", name, area, "vacuum.started")


@skill("HassVacuumReturnToBase", **declare(("vacuum.return_to_base",)))
def vacuum_return(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Send the robot vacuum back to its dock."""
    return _vacuum(ctx, "HassVacuumReturnToBase", "vacuum.return_to_base", name, area, "vacuum.returned")


@skill("HassVacuumStop", services=("vacuum.stop",))
def vacuum_stop(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Stop the robot vacuum where it is (not send it home)."""
    return _vacuum(ctx, "HassVacuumStop", "vacuum.stop", name, area, "vacuum.stopped")
