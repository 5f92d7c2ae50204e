"""Light brightness, colour and colour temperature."""

from __future__ import annotations

from typing import Annotated, Any

from assistant import i18n
from assistant.errors import SkillError
from assistant.home.inventory import Entity
from assistant.intents import Action, Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import declare, display, names, slots, undo_for

COLOURS_ZH = {
    "红": "red", "绿": "green", "蓝": "blue", "黄": "yellow", "白": "white", "紫": "purple",
    "橙": "orange", "粉": "pink", "青": "cyan",
}
COLOUR_TEMPS = {
    "warm": 2700, "warm white": 2700, "soft white": 2700, "暖": 2700, "暖光": 2700, "暖色": 2700,
    "neutral": 4000, "natural": 4000, "cool": 6000, "cool white": 6000, "cold": 6500,
    "daylight": 6500, "冷": 6000, "冷光": 6000, "白光": 4000,
}


def _colour(spoken: str) -> str:
    s = spoken.strip().casefold().removesuffix("色")
    return COLOURS_ZH.get(s, s)


def _kelvin(spoken: str, ctx: SkillContext) -> int:
    s = spoken.strip().casefold().removesuffix("k").strip()
    if s in COLOUR_TEMPS:
        return COLOUR_TEMPS[s]
    try:
        k = float(s)
    except ValueError:
        raise SkillError(ctx.t("light.unknown_kelvin", value=spoken)) from None
    if not 1000 <= k <= 12000:
        raise SkillError(ctx.t("light.kelvin_range"))
    return int(k)


def _modes(e: Entity) -> set[str]:
    m = e.attributes.get("supported_color_modes")
    return set(m) if isinstance(m, list) else set()


def _check(e: Entity, need: set[str], ctx: SkillContext, what: str) -> None:
    modes = _modes(e)
    if modes and not modes & need:
        raise SkillError(ctx.t("light.cannot", name=display(e, ctx), what=ctx.t(f"light.{what}")),
                         code="unsupported")


@skill("HassLightSet", **declare(("light.turn_on", "light.turn_off")))
def light_set(
    ctx: SkillContext,
    name: Annotated[str | None, "light name as spoken"] = None,
    area: Annotated[str | None, "area as spoken"] = None,
    brightness: Annotated[int | None, "brightness in percent, 0-100"] = None,
    color: Annotated[str | None, "colour name, e.g. 'red'"] = None,
    temperature: Annotated[str | None, "colour temperature in kelvin, or 'warm' / 'cool'"] = None,
    brightness_step: Annotated[int | None, "relative brightness change in percent, e.g. 20 or -20"] = None,
) -> SkillResult:
    """Set a light's brightness, colour or colour temperature."""
    if brightness is None and color is None and temperature is None and brightness_step is None:
        raise SkillError(ctx.t("light.what"), code="missing_argument")
    if brightness is not None and not 0 <= brightness <= 100:
        raise SkillError(ctx.t("light.brightness_range"))
    ents = ctx.targets(name, area=area, domain=None if name else "light", domains=("light",))
    data: dict[str, Any] = {}
    if brightness is not None:
        data["brightness_pct"] = brightness
    if brightness_step is not None:
        data["brightness_step_pct"] = max(-100, min(100, brightness_step))
    if color is not None:
        data["color_name"] = _colour(color)
    if temperature is not None:
        data["color_temp_kelvin"] = _kelvin(temperature, ctx)
    for e in ents:
        if "brightness_pct" in data or "brightness_step_pct" in data:
            _check(e, {"brightness", "hs", "rgb", "rgbw", "rgbww", "xy", "color_temp", "white"}, ctx, "brightness")
        if "color_name" in data:
            _check(e, {"hs", "rgb", "rgbw", "rgbww", "xy"}, ctx, "colour")
        if "color_temp_kelvin" in data:
            _check(e, {"color_temp"}, ctx, "colour_temperature")
    if brightness == 0:
        actions = tuple(Action("light.turn_off", e.entity_id) for e in ents)
    else:
        actions = tuple(Action("light.turn_on", e.entity_id, dict(data)) for e in ents)
    who = names(ents, ctx)
    if brightness is not None:
        reply = ctx.t("light.set_brightness", names=who, brightness=brightness)
    elif brightness_step is not None:
        up = brightness_step > 0
        reply = ctx.t("light.brighter" if up else "light.dimmer", names=who)
    elif color is not None:
        colour = data["color_name"]
        named = i18n.has(f"colour.{colour}", ctx.language)
        reply = ctx.t("light.set_colour", names=who, colour=ctx.t(f"colour.{colour}") if named else color)
    else:
        reply = ctx.t("light.set_kelvin", names=who, kelvin=data["color_temp_kelvin"])
    return SkillResult(
        reply=reply,
        intents=(Intent("HassLightSet", slots(name=name, area=area, brightness=brightness, color=color,
                                              temperature=temperature, brightness_step=brightness_step),
                        actions),),
        undo=undo_for("HassLightSet", ents),
    )
