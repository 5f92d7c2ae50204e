"""An example third-party skill package: reports soil moisture sensors as "thirsty" plants."""

from __future__ import annotations

from typing import Annotated

from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill


@skill("PlantsThirsty")
def plants_thirsty(
    ctx: SkillContext,
    threshold: Annotated[int, "moisture in percent below which a plant needs water"] = 30,
) -> SkillResult:
    """Say which plants need water, from their soil moisture sensors."""
    dry = [
        e.name for e in ctx.inventory.entities
        if e.attributes.get("device_class") == "moisture" and float(e.state or 0) < threshold
    ]
    reply = ctx.say(
        f"Thirsty: {', '.join(dry)}." if dry else "All plants are fine.",
        f"需要浇水：{'、'.join(dry)}。" if dry else "植物都很好。",
    )
    return SkillResult(reply=reply, intents=(Intent("PlantsThirsty", {"threshold": threshold}),))
