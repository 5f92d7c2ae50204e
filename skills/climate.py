"""Thermostats: set the target temperature, read the room temperature."""

from __future__ import annotations

from typing import Annotated

from assistant import i18n
from assistant.errors import SkillError
from assistant.home.inventory import Entity
from assistant.i18n.names import area_name
from assistant.intents import Action, Intent
from assistant.skillkit.context import NeedsChoice, SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import declare, display, names, slots


def _num(v: object) -> float | None:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _fmt(t: float) -> str:
    return f"{t:g}"


@skill("HassClimateSetTemperature", **declare(("climate.set_temperature",)))
def set_temperature(
    ctx: SkillContext,
    temperature: Annotated[float, "target temperature, in the unit spoken (degrees)"],
    name: Annotated[str | None, "thermostat name as spoken"] = None,
    area: Annotated[str | None, "area as spoken"] = None,
) -> SkillResult:
    """Set the target temperature of a thermostat or air conditioner."""
    if not -30 <= temperature <= 100:
        raise SkillError(ctx.t("climate.out_of_range", degrees=_fmt(temperature)))
    ents = ctx.targets(name, area=area, domain=None if name else "climate", domains=("climate",))
    if not name and not area and len(ents) > 1:  # one temperature for every room was not what was asked
        choices = [display(e, ctx) for e in ents]
        raise NeedsChoice(ctx.t("target.which", what=i18n.kind("climate", ctx.language),
                                choices=i18n.join(choices, ctx.language, conjunction="or")), choices)
    value: float | int = int(temperature) if temperature == int(temperature) else temperature
    actions = tuple(Action("climate.set_temperature", e.entity_id, {"temperature": value}) for e in ents)
    return SkillResult(
        reply=ctx.t("climate.set", names=names(ents, ctx), degrees=_fmt(temperature)),
        intents=(Intent("HassClimateSetTemperature", slots(temperature=temperature, name=name, area=area),
                        actions),),
        undo=tuple(
            Intent("HassClimateSetTemperature", {"undo": True},
                   (Action("climate.set_temperature", e.entity_id, {"temperature": e.attributes["temperature"]}),))
            for e in ents if _num(e.attributes.get("temperature")) is not None
        ),
    )


def _reading(e: Entity) -> float | None:
    if e.domain == "climate":
        return _num(e.attributes.get("current_temperature"))
    if e.domain == "sensor" and e.attributes.get("device_class") == "temperature":
        return _num(e.state)
    if e.domain == "weather":
        return _num(e.attributes.get("temperature"))
    return None


@skill("HassClimateGetTemperature")
def get_temperature(
    ctx: SkillContext,
    name: Annotated[str | None, "thermostat or sensor name as spoken"] = None,
    area: Annotated[str | None, "area as spoken"] = None,
) -> SkillResult:
    """Say the current temperature of a room, thermostat or temperature sensor."""
    if name:
        ents = ctx.targets(name, area=area, domains=("climate", "sensor", "weather"))
    else:
        ents = ()
        for dom in ("climate", "sensor"):
            try:
                found = ctx.targets(area=area, domain=dom)
            except SkillError:
                continue
            ents = tuple(e for e in found if _reading(e) is not None)
            if ents:
                break
        if not ents:
            where = ctx.resolver.area(area) if area else None
            place = area_name(where, ctx.language) if where else ctx.t("climate.home")
            raise SkillError(ctx.t("climate.no_reading", area=place), code="no_reading")
    e = next((x for x in ents if _reading(x) is not None), None)
    if e is None:
        raise SkillError(ctx.t("climate.no_reading_of", name=display(ents[0], ctx)), code="no_reading")
    t = _reading(e)
    assert t is not None
    unit = e.attributes.get("unit_of_measurement") or e.attributes.get("temperature_unit") or "°C"
    return SkillResult(
        reply=ctx.t("climate.reads", name=display(e, ctx), value=_fmt(t), unit=unit),
        intents=(Intent("HassClimateGetTemperature", slots(name=name, area=area)),),
    )
