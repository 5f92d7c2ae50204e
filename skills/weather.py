"""The weather, read from a weather entity's state and attributes."""

from __future__ import annotations

from typing import Annotated

from assistant import i18n
from assistant.errors import SkillError
from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import slots


@skill("HassGetWeather")
def get_weather(
    ctx: SkillContext, name: Annotated[str | None, "weather service name, if several"] = None
) -> SkillResult:
    """Say the current weather conditions and temperature."""
    if name:
        ents = ctx.targets(name, domains=("weather",))
    else:
        ents = tuple(e for e in ctx.inventory.entities if e.domain == "weather")
    if not ents:
        raise SkillError(ctx.t("weather.none"), code="no_weather")
    e = ents[0]
    key = (e.state or "unknown").replace("-", "_")
    sky = ctx.t(f"weather.{key}") if i18n.has(f"weather.{key}", ctx.language) else ctx.t("weather.unknown")
    temp = e.attributes.get("temperature")
    unit = e.attributes.get("temperature_unit") or "°C"
    if isinstance(temp, int | float):
        reply = ctx.t("weather.now_temp", sky=sky, temp=f"{temp:g}", unit=unit)
    else:
        reply = ctx.t("weather.now", sky=sky)
    return SkillResult(reply=reply,
                       intents=(Intent("HassGetWeather", slots(name=name)),))
