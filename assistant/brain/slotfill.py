"""Slots in Home Assistant's vocabulary: ``area`` is the area's name, ``area_id`` its id.

A skill records its slots as spoken ("kitchen", "厨房", or an id from the templates). Home
Assistant's own intents carry the area's name; when the speaker's room decided the target
("turn off the light" in the bedroom) the area appears too, although nobody said it.
"""

from __future__ import annotations

import dataclasses

from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult


def with_areas(result: SkillResult, ctx: SkillContext) -> SkillResult:
    """``result`` with every intent's area slot as the area's name and id."""
    if not result.intents:
        return result
    used = list(dict.fromkeys(ctx.areas_used))
    fixed: list[Intent] = []
    for intent in result.intents:
        slots = dict(intent.slots)
        said = slots.get("area")
        area = ctx.resolver.area(said) if isinstance(said, str) and said else None
        if area is None and said is None and len(used) == 1 and intent.actions and "floor" not in slots:
            area = ctx.inventory.area(used[0])
        if area is not None:
            slots["area"], slots["area_id"] = area.name, area.id
        fixed.append(dataclasses.replace(intent, slots=slots) if slots != intent.slots else intent)
    return dataclasses.replace(result, intents=tuple(fixed))
