"""Blinds, curtains and other covers: set a position."""

from __future__ import annotations

from typing import Annotated

from assistant.errors import SkillError
from assistant.intents import Action, Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import call_of, confirm_first, declare, names, slots, undo_for


@skill("HassSetPosition", **declare(
    ("cover.set_cover_position", "valve.set_valve_position"),
    ("cover.open_cover", "cover.close_cover"),  # undo
))
def set_position(
    ctx: SkillContext,
    position: Annotated[int, "position in percent: 0 closed, 100 open"],
    name: Annotated[str | None, "cover name as spoken, e.g. 'blinds'"] = None,
    area: Annotated[str | None, "area as spoken"] = None,
    domain: Annotated[str | None, "kind of device as spoken, e.g. 'blinds'"] = None,
    device_class: Annotated[str | None, "device class, e.g. 'blind', 'curtain'"] = None,
) -> SkillResult:
    """Open a cover, blind or curtain to a position in percent."""
    if not 0 <= position <= 100:
        raise SkillError(ctx.t("position.out_of_range"))
    dom = domain or (None if name or device_class else "cover")
    ents = ctx.targets(name, area=area, domain=dom, device_class=device_class, domains=("cover", "valve"))
    call = call_of("HassSetPosition", position=position, name=name, area=area, domain=domain,
                   device_class=device_class)
    ask = confirm_first(ctx, call, ents, ctx.t("verb.set_position", position=position), opening=position > 0)
    if ask is not None:
        return ask
    actions = tuple(
        Action(f"{e.domain}.set_{'cover' if e.domain == 'cover' else 'valve'}_position", e.entity_id,
               {"position": position})
        for e in ents
    )
    return SkillResult(
        reply=ctx.t("act.set_position", names=names(ents, ctx), position=position),
        intents=(Intent("HassSetPosition", slots(position=position, name=name, area=area, domain=domain,
                                                 device_class=device_class), actions),),
        undo=undo_for("HassSetPosition", ents),
    )
