"""Turn things on, off or over: lights, switches, fans, covers, media players, locks, vacuums."""

from __future__ import annotations

from typing import Annotated

from assistant import i18n
from assistant.intents import Action, Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import RESTORE_SERVICES, call_of, confirm_first, declare, names, slots, undo_for

Name = Annotated[str | None, "device name as spoken, e.g. 'kitchen light'"]
Area = Annotated[str | None, "area (room) as spoken, e.g. 'kitchen'"]
Floor = Annotated[str | None, "floor as spoken, e.g. 'upstairs'"]
Domain = Annotated[str | None, "kind of device as spoken, e.g. 'lights', 'fan', 'blinds'"]
DeviceClass = Annotated[str | None, "device class, e.g. 'garage', 'blind', 'window'"]

ON = {
    "light": "light.turn_on", "switch": "switch.turn_on", "fan": "fan.turn_on",
    "cover": "cover.open_cover", "media_player": "media_player.turn_on", "lock": "lock.lock",
    "vacuum": "vacuum.start", "climate": "climate.turn_on", "input_boolean": "input_boolean.turn_on",
    "scene": "scene.turn_on", "script": "script.turn_on", "automation": "automation.turn_on",
    "valve": "valve.open_valve", "humidifier": "humidifier.turn_on",
    "alarm_control_panel": "alarm_control_panel.alarm_arm_away",
}
OFF = {
    "light": "light.turn_off", "switch": "switch.turn_off", "fan": "fan.turn_off",
    "cover": "cover.close_cover", "media_player": "media_player.turn_off", "lock": "lock.unlock",
    "vacuum": "vacuum.return_to_base", "climate": "climate.turn_off",
    "input_boolean": "input_boolean.turn_off", "script": "script.turn_off",
    "automation": "automation.turn_off", "valve": "valve.close_valve",
    "humidifier": "humidifier.turn_off", "alarm_control_panel": "alarm_control_panel.alarm_disarm",
}
TOGGLE = {d: f"{d}.toggle" for d in ("light", "switch", "fan", "cover", "media_player", "input_boolean", "automation")}

# Area-wide commands with no kind of device named touch only these.
AREA_WIDE = ("light", "switch", "fan")


def _switch(
    ctx: SkillContext, intent: str, services: dict[str, str], name: str | None, area: str | None,
    floor: str | None, domain: str | None, device_class: str | None,
) -> SkillResult:
    call = call_of(intent, name=name, area=area, floor=floor, domain=domain, device_class=device_class)
    only = services.keys() if (name or domain or device_class) else AREA_WIDE
    ents = ctx.targets(name, area=area, floor=floor, domain=domain, device_class=device_class, domains=only)
    actions = tuple(Action(services[e.domain], e.entity_id) for e in ents)
    verb = services[ents[0].domain].split(".", 1)[1]
    key = verb if i18n.has(f"act.{verb}", ctx.language) else "other"
    ask = confirm_first(ctx, call, ents, ctx.t(f"verb.{key}"), opening=verb == "open_valve")
    if ask is not None:
        return ask
    return SkillResult(
        reply=ctx.t(f"act.{key}", names=names(ents, ctx)),
        intents=(Intent(intent, slots(name=name, area=area, floor=floor, domain=domain,
                                      device_class=device_class), actions),),
        undo=undo_for(intent, ents),
    )


@skill("HassTurnOn", **declare(ON.values(), RESTORE_SERVICES))
def turn_on(
    ctx: SkillContext, name: Name = None, area: Area = None, floor: Floor = None,
    domain: Domain = None, device_class: DeviceClass = None,
) -> SkillResult:
    """Turn on, open, start or lock a device, or every device of a kind in an area."""
    return _switch(ctx, "HassTurnOn", ON, name, area, floor, domain, device_class)


@skill("HassTurnOff", **declare(OFF.values(), RESTORE_SERVICES))
def turn_off(
    ctx: SkillContext, name: Name = None, area: Area = None, floor: Floor = None,
    domain: Domain = None, device_class: DeviceClass = None,
) -> SkillResult:
    """Turn off, close, stop or unlock a device, or every device of a kind in an area."""
    return _switch(ctx, "HassTurnOff", OFF, name, area, floor, domain, device_class)


@skill("HassToggle", **declare(TOGGLE.values(), RESTORE_SERVICES))
def toggle(ctx: SkillContext, name: Name = None, area: Area = None, domain: Domain = None) -> SkillResult:
    """Switch a device to its other state (on to off, off to on)."""
    return _switch(ctx, "HassToggle", TOGGLE, name, area, None, domain, None)
