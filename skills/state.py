"""Questions about the home answered from the inventory: "is the garage door open?", "which lights are on?",
"is there motion in the hallway?", "which batteries are low?"."""

from __future__ import annotations

from typing import Annotated

from assistant import i18n
from assistant.errors import SkillError
from assistant.home.inventory import Area, Entity
from assistant.i18n.names import area_name
from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import display, names, slots

# Spoken states (Home Assistant's slot values and the words people use) → the facts that count.
STATES = {
    "on": {"on", "playing", "open", "opening", "unlocked", "home", "heat", "cool", "heat_cool", "auto",
           "cleaning", "armed_away", "armed_home", "armed_night"},
    "off": {"off", "closed", "locked", "idle", "paused", "standby", "docked", "disarmed"},
    "open": {"open", "opening", "on", "unlocked"}, "closed": {"closed", "closing", "off", "locked"},
    "locked": {"locked"}, "unlocked": {"unlocked", "unlocking", "open"},
    "playing": {"playing"}, "paused": {"paused"}, "docked": {"docked"}, "cleaning": {"cleaning"},
    "armed": {"armed_away", "armed_home", "armed_night", "armed_vacation"}, "disarmed": {"disarmed"},
    "motion": {"motion"}, "occupied": {"occupied", "motion"}, "detected": {"motion", "occupied", "detected"},
    "clear": {"no_motion", "not_occupied", "clear"}, "low": {"low"}, "charging": {"charging"},
    "wet": {"wet"}, "leak": {"wet"},
    "开": {"on", "open", "playing", "unlocked"}, "关": {"off", "closed", "locked"},
    "打开": {"on", "open", "playing", "unlocked"}, "关闭": {"off", "closed"}, "开着": {"on", "open", "playing"},
    "关着": {"off", "closed"}, "锁着": {"locked"}, "锁上": {"locked"}, "没锁": {"unlocked"},
    "有人": {"occupied", "motion"}, "电量低": {"low"}, "没电": {"low"}, "充电": {"charging"},
    "在充电": {"charging"}, "漏水": {"wet"},
}
# Binary sensors are on or off; what that means depends on their device class: (on, off) in words.
BINARY = {
    "door": ("open", "closed"), "window": ("open", "closed"), "opening": ("open", "closed"),
    "garage_door": ("open", "closed"), "motion": ("motion", "no_motion"),
    "occupancy": ("occupied", "not_occupied"), "presence": ("present", "away"),
    "battery": ("low", "normal"), "battery_charging": ("charging", "not_charging"),
    "moisture": ("wet", "clear"), "smoke": ("detected", "clear"), "gas": ("detected", "clear"),
    "carbon_monoxide": ("detected", "clear"), "lock": ("unlocked", "locked"),
}
BATTERY_LOW_PCT = 20
"""A battery sensor at or below this percentage counts as low."""


def _num(v: object) -> float | None:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def facts(e: Entity) -> set[str]:
    """What is true of ``e`` now, in the words a question may use ("on", "open", "low", "charging")."""
    st = (e.state or "unknown").casefold()
    out = {st}
    cls = e.attributes.get("device_class")
    if e.domain == "binary_sensor" and st in ("on", "off"):
        on_off = BINARY.get(str(cls), ("on", "off"))
        out.add(on_off[0] if st == "on" else on_off[1])
    elif cls == "battery" and (level := _num(e.state)) is not None:
        out.add("low" if level <= BATTERY_LOW_PCT else "normal")
    elif e.domain == "vacuum" and st == "docked":
        out.add("charging")
    return out


def state_word(e: Entity, ctx: SkillContext) -> str:
    """``e``'s state in the speaker's words: "open" for a window sensor that is on, "没锁", "19.0 °C"."""
    st = (e.state or "unknown").casefold()
    unit = e.attributes.get("unit_of_measurement", "")
    if unit and _num(e.state) is not None:
        return f"{e.state} {unit}" if i18n.base(ctx.language) == "en" else f"{e.state}{unit}"
    if e.domain == "binary_sensor" and st in ("on", "off"):
        on_off = BINARY.get(str(e.attributes.get("device_class")), ("on", "off"))
        return i18n.state(on_off[0] if st == "on" else on_off[1], ctx.language)
    return i18n.state(st, ctx.language)


def _asked(state: str) -> tuple[str, set[str]]:
    """The asked state's canonical word and the facts that satisfy it."""
    s = state.casefold().strip()
    wanted = STATES.get(s, {s})
    canon = s if i18n.has_state(s) else next((w for w in sorted(wanted) if i18n.has_state(w)), s)
    return canon, wanted


def _scan(ctx: SkillContext, area: str | None, domain: str | None, device_class: str | None) -> tuple[Entity, ...]:
    """Entities by domain and device class, which the name resolver does not cover for sensors."""
    where = ctx.resolver.area(area) if area else None
    if area and where is None:
        raise SkillError(ctx.t("target.no_area", area=area), code="target_no_area")
    found = tuple(
        e for e in ctx.inventory.entities
        if (domain is None or e.domain == domain)
        and (device_class is None or e.attributes.get("device_class") == device_class)
        and (where is None or e.area == where.id)
    )
    if not found:
        kind = i18n.kind(domain or "sensor", ctx.language)
        raise SkillError(ctx.t("target.no_kind_in" if where else "target.no_kind", kind=kind,
                               area=display_area(ctx, where)), code="target_none")
    return found


def display_area(ctx: SkillContext, where: Area | None) -> str:
    return area_name(where, ctx.language) if where is not None else ""


SENSOR_DOMAINS = ("binary_sensor", "sensor")


@skill("HassGetState")
def get_state(
    ctx: SkillContext,
    name: Annotated[str | None, "device name as spoken"] = None,
    area: Annotated[str | None, "area as spoken"] = None,
    domain: Annotated[str | None, "kind of device as spoken, e.g. 'lights'"] = None,
    state: Annotated[str | None, "state asked about, e.g. 'on', 'open', 'locked', 'low', 'charging'"] = None,
    device_class: Annotated[str | None, "device class, e.g. 'window', 'garage', 'motion', 'battery'"] = None,
) -> SkillResult:
    """Answer a question about a device's state, or which devices are in a state."""
    intent = (Intent("HassGetState", slots(name=name, area=area, domain=domain, state=state,
                                           device_class=device_class)),)
    if not name and (domain in SENSOR_DOMAINS or device_class in BINARY):
        ents = _scan(ctx, area, domain if domain in SENSOR_DOMAINS else None, device_class)
    else:
        ents = ctx.targets(name, area=area, domain=domain, device_class=device_class, local=bool(name))
    if not state:
        parts = [ctx.t("ask_state.part", name=display(e, ctx), state=state_word(e, ctx)) for e in ents]
        return SkillResult(reply=ctx.t("ask_state.all", parts=i18n.text("list.separator", ctx.language)
                                       .join(parts)), intents=intent)
    canon, wanted = _asked(state)
    matching = [e for e in ents if facts(e) & wanted]
    if name and len(ents) == 1:
        e = ents[0]
        return SkillResult(reply=ctx.t("ask_state.yes" if matching else "ask_state.no",
                                       name=display(e, ctx), state=state_word(e, ctx)), intents=intent)
    said = state_word(matching[0], ctx) if matching else _asked_word(ents[0], canon, ctx)
    if not matching:
        return SkillResult(reply=ctx.t("ask_state.none", state=said), intents=intent)
    who = names(matching, ctx)
    if len(matching) == len(ents) and len(ents) > 1:
        return SkillResult(reply=ctx.t("ask_state.all_are", state=said, names=who), intents=intent)
    key = "ask_state.one_is" if len(matching) == 1 else "ask_state.some_are"
    return SkillResult(reply=_capital(ctx.t(key, names=who, state=said)), intents=intent)


def _asked_word(e: Entity, canon: str, ctx: SkillContext) -> str:
    """The asked state in words fitting ``e`` ("on" asked of a motion sensor is "detecting motion")."""
    if e.domain == "binary_sensor" and canon in ("on", "off"):
        on_off = BINARY.get(str(e.attributes.get("device_class")), ("on", "off"))
        return i18n.state(on_off[0] if canon == "on" else on_off[1], ctx.language)
    return i18n.state(canon, ctx.language)


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]
