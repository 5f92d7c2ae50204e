"""The weather, read from a weather entity's state and attributes."""

from __future__ import annotations

from typing import Annotated

from assistant.errors import SkillError
from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import slots

CONDITIONS = {
    "clear-night": ("clear", "晴朗"), "cloudy": ("cloudy", "多云"), "fog": ("foggy", "有雾"),
    "hail": ("hailing", "下冰雹"), "lightning": ("stormy", "有雷电"), "lightning-rainy": ("stormy", "雷雨"),
    "partlycloudy": ("partly cloudy", "局部多云"), "pouring": ("pouring", "大雨"), "rainy": ("rainy", "下雨"),
    "snowy": ("snowy", "下雪"), "snowy-rainy": ("sleeting", "雨夹雪"), "sunny": ("sunny", "晴天"),
    "windy": ("windy", "有风"), "windy-variant": ("windy", "有风"), "exceptional": ("unusual", "异常"),
}


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
        raise SkillError(ctx.say("I don't have a weather service.", "我没有天气服务。"), code="no_weather")
    e = ents[0]
    en, zh = CONDITIONS.get(e.state or "", (e.state or "unknown", e.state or "未知"))
    temp = e.attributes.get("temperature")
    unit = e.attributes.get("temperature_unit") or "°C"
    t_en = f" and {temp:g} {unit}" if isinstance(temp, int | float) else ""
    t_zh = f"，{temp:g}{unit}" if isinstance(temp, int | float) else ""
    return SkillResult(reply=ctx.say(f"It's {en}{t_en}.", f"现在{zh}{t_zh}。"),
                       intents=(Intent("HassGetWeather", slots(name=name)),))
