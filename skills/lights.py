"""Light brightness, colour and colour temperature."""

from __future__ import annotations

from typing import Annotated, Any

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
        raise SkillError(ctx.say(f"I don't know the colour temperature {spoken}.",
                                 f"我不知道色温{spoken}。")) from None
    if not 1000 <= k <= 12000:
        raise SkillError(ctx.say("Colour temperature must be between 1000 and 12000 kelvin.",
                                 "色温必须在1000到12000开尔文之间。"))
    return int(k)


def _modes(e: Entity) -> set[str]:
    m = e.attributes.get("supported_color_modes")
    return set(m) if isinstance(m, list) else set()


def _check(e: Entity, need: set[str], ctx: SkillContext, what_en: str, what_zh: str) -> None:
    modes = _modes(e)
    if modes and not modes & need:
        raise SkillError(ctx.say(f"The {e.name} can't change {what_en}.", f"{display(e, ctx)}不能调节{what_zh}。"),
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
        raise SkillError(ctx.say("What should I set the light to?", "要把灯调成什么？"), code="missing_argument")
    if brightness is not None and not 0 <= brightness <= 100:
        raise SkillError(ctx.say("Brightness must be between 0 and 100 percent.", "亮度必须在0到100之间。"))
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
            _check(e, {"brightness", "hs", "rgb", "rgbw", "rgbww", "xy", "color_temp", "white"}, ctx,
                   "brightness", "亮度")
        if "color_name" in data:
            _check(e, {"hs", "rgb", "rgbw", "rgbww", "xy"}, ctx, "colour", "颜色")
        if "color_temp_kelvin" in data:
            _check(e, {"color_temp"}, ctx, "colour temperature", "色温")
    if brightness == 0:
        actions = tuple(Action("light.turn_off", e.entity_id) for e in ents)
    else:
        actions = tuple(Action("light.turn_on", e.entity_id, dict(data)) for e in ents)
    who = names(ents, ctx)
    if brightness is not None:
        reply = ctx.say(f"Set {who} to {brightness}%.", f"已把{who}调到{brightness}%。")
    elif brightness_step is not None:
        up = brightness_step > 0
        reply = ctx.say(f"Made {who} {'brighter' if up else 'dimmer'}.", f"已把{who}调{'亮' if up else '暗'}了。")
    elif color is not None:
        reply = ctx.say(f"Set {who} to {data['color_name']}.", f"已把{who}调成{color}。")
    else:
        reply = ctx.say(f"Set {who} to {data['color_temp_kelvin']} kelvin.",
                        f"已把{who}的色温调到{data['color_temp_kelvin']}K。")
    return SkillResult(
        reply=reply,
        intents=(Intent("HassLightSet", slots(name=name, area=area, brightness=brightness, color=color,
                                              temperature=temperature, brightness_step=brightness_step),
                        actions),),
        undo=undo_for("HassLightSet", ents),
    )
