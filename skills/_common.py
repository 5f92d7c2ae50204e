"""Helpers shared by the first-party skills: display names, intents, confirmation, undo."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant import i18n
from assistant.brain.gate import SENSITIVE_SERVICES, entity_is_sensitive
from assistant.home.inventory import Entity
from assistant.i18n.names import entity_name
from assistant.intents import Action, Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall

RESTORE_SERVICES = (
    "light.turn_on", "light.turn_off", "switch.turn_on", "switch.turn_off", "fan.turn_on", "fan.turn_off",
    "media_player.turn_on", "media_player.turn_off", "input_boolean.turn_on", "input_boolean.turn_off",
    "climate.turn_on", "climate.turn_off", "cover.set_cover_position", "cover.open_cover",
    "cover.close_cover", "lock.lock", "lock.unlock",
)
"""Every service :func:`restore` may put into an undo intent."""


def declare(*groups: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``services=`` and ``sensitive=`` for ``@skill``, from the services a skill may call."""
    services = tuple(sorted({s for g in groups for s in g}))
    return {"services": services, "sensitive": tuple(s for s in services if s in SENSITIVE_SERVICES)}


def display(e: Entity, ctx: SkillContext) -> str:
    """The entity's name in the conversation's language (a Chinese alias for Chinese replies)."""
    return entity_name(e, ctx.language)


def names(ents: Iterable[Entity], ctx: SkillContext) -> str:
    """ "the Kitchen Light and Counter Lights" / "厨房灯和橱柜灯"."""
    ns = [display(e, ctx) for e in ents]
    listed = i18n.join(ns, ctx.language)
    if i18n.base(ctx.language) == "en" and len(ns) == 1 and not listed.lower().startswith("the "):
        return "the " + listed
    return listed


def slots(**kw: Any) -> dict[str, Any]:
    """Slots as spoken, without the empty ones."""
    return {k: v for k, v in kw.items() if v is not None and v != ""}


def needs_confirmation(e: Entity, opening: bool = False) -> bool:
    """Locks, alarm panels, garage doors and gates act only after a spoken "yes"; valves when opened
    (water that runs unattended floods a house; closing one is always safe)."""
    if e.domain == "valve":
        return opening
    return entity_is_sensitive(e)


def confirm_first(
    ctx: SkillContext, call: ToolCall, ents: Iterable[Entity], verb: str, *, opening: bool = False,
) -> SkillResult | None:
    """A "are you sure?" result when a sensitive target is involved and not yet confirmed.

    ``verb`` is the action in words, e.g. ``ctx.t("verb.unlock")``."""
    sensitive = [e for e in ents if needs_confirmation(e, opening)]
    if not sensitive or ctx.confirmed:
        return None
    return SkillResult(
        reply=ctx.t("confirm.ask", verb=verb, names=names(sensitive, ctx)),
        expects_reply=True,
        confirm=call,
    )


def call_of(skill: str, /, **args: Any) -> ToolCall:
    return ToolCall(skill, {k: v for k, v in args.items() if v is not None})


def pct(value: Any, scale: float = 255.0) -> int | None:
    """A 0-255 (or 0-1 with scale=1) attribute as a whole percentage."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value) * 100 / scale)
    return None


def restore(e: Entity) -> Action | None:
    """The service call that puts ``e`` back into its current (pre-command) state."""
    d, st, at = e.domain, e.state, e.attributes
    if st is None:
        return None
    if d == "light":
        if st == "off":
            return Action("light.turn_off", e.entity_id)
        b = pct(at.get("brightness"))
        return Action("light.turn_on", e.entity_id, {"brightness_pct": b} if b else {})
    if d in ("switch", "fan", "media_player", "input_boolean", "climate") and st in ("on", "off"):
        return Action(f"{d}.turn_{st}", e.entity_id)
    if d == "cover":
        pos = at.get("current_position")
        if isinstance(pos, int | float):
            return Action("cover.set_cover_position", e.entity_id, {"position": int(pos)})
        if st in ("open", "closed"):
            return Action("cover.open_cover" if st == "open" else "cover.close_cover", e.entity_id)
    if d == "lock" and st in ("locked", "unlocked"):
        return Action("lock.lock" if st == "locked" else "lock.unlock", e.entity_id)
    return None


def undo_for(intent: str, ents: Iterable[Entity]) -> tuple[Intent, ...]:
    acts = tuple(a for a in (restore(e) for e in ents) if a is not None)
    return (Intent(intent, {"undo": True}, acts),) if acts else ()
