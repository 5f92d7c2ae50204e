"""Questions about the home answered from the inventory: "is the garage door open?", "which lights are on?"."""

from __future__ import annotations

from typing import Annotated

from assistant.home.inventory import Entity
from assistant.intents import Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import display, names, slots

# Spoken states → the inventory states that count as that state.
STATES = {
    "on": {"on", "playing", "open", "opening", "unlocked", "home", "heat", "cool", "heat_cool", "auto",
           "cleaning", "armed_away", "armed_home", "armed_night"},
    "off": {"off", "closed", "locked", "idle", "paused", "standby", "docked", "disarmed"},
    "open": {"open", "opening", "on", "unlocked"}, "closed": {"closed", "closing", "off", "locked"},
    "locked": {"locked"}, "unlocked": {"unlocked", "unlocking", "open"},
    "playing": {"playing"}, "paused": {"paused"}, "docked": {"docked"}, "cleaning": {"cleaning"},
    "armed": {"armed_away", "armed_home", "armed_night", "armed_vacation"}, "disarmed": {"disarmed"},
    "开": {"on", "open", "playing", "unlocked"}, "关": {"off", "closed", "locked"},
    "打开": {"on", "open", "playing", "unlocked"}, "关闭": {"off", "closed"}, "开着": {"on", "open", "playing"},
    "关着": {"off", "closed"}, "锁着": {"locked"}, "锁上": {"locked"},
}
STATE_WORDS = {
    "on": ("on", "开着"), "off": ("off", "关着"), "open": ("open", "开着"), "closed": ("closed", "关着"),
    "opening": ("opening", "正在打开"), "closing": ("closing", "正在关闭"), "locked": ("locked", "锁着"),
    "unlocked": ("unlocked", "没锁"), "playing": ("playing", "正在播放"), "paused": ("paused", "已暂停"),
    "idle": ("idle", "空闲"), "docked": ("docked", "在充电座上"), "cleaning": ("cleaning", "正在清扫"),
    "disarmed": ("disarmed", "已撤防"), "armed_away": ("armed", "已布防"), "heat": ("heating", "制热"),
    "cool": ("cooling", "制冷"),
}


def _state_text(e: Entity, ctx: SkillContext) -> str:
    st = e.state or "unknown"
    en, zh = STATE_WORDS.get(st, (st, st))
    unit = e.attributes.get("unit_of_measurement", "")
    if unit:
        return ctx.say(f"{st} {unit}", f"{st}{unit}")
    return ctx.say(en, zh)


@skill("HassGetState")
def get_state(
    ctx: SkillContext,
    name: Annotated[str | None, "device name as spoken"] = None,
    area: Annotated[str | None, "area as spoken"] = None,
    domain: Annotated[str | None, "kind of device as spoken, e.g. 'lights'"] = None,
    state: Annotated[str | None, "state asked about, e.g. 'on', 'open', 'locked'"] = None,
    device_class: Annotated[str | None, "device class, e.g. 'window', 'garage'"] = None,
) -> SkillResult:
    """Answer a question about a device's state, or which devices are in a state."""
    ents = ctx.targets(name, area=area, domain=domain, device_class=device_class, local=bool(name))
    intent = (Intent("HassGetState", slots(name=name, area=area, domain=domain, state=state,
                                           device_class=device_class)),)
    wanted = STATES.get((state or "").casefold().strip()) if state else None
    if state and wanted is None:
        wanted = {state.casefold().strip()}
    if wanted is None:
        parts = [ctx.say(f"{display(e, ctx)} is {_state_text(e, ctx)}", f"{display(e, ctx)}{_state_text(e, ctx)}")
                 for e in ents]
        return SkillResult(reply=ctx.say("; ".join(parts) + ".", "；".join(parts) + "。"), intents=intent)
    matching = [e for e in ents if (e.state or "") in wanted]
    if name and len(ents) == 1:
        e = ents[0]
        yes = bool(matching)
        return SkillResult(
            reply=ctx.say(f"{'Yes' if yes else 'No'}, the {e.name} is {_state_text(e, ctx)}.",
                          f"{'是的' if yes else '不是'}，{display(e, ctx)}{_state_text(e, ctx)}。"),
            intents=intent)
    said = state or ""
    if not matching:
        return SkillResult(reply=ctx.say(f"None are {said}.", f"没有{said}的。"), intents=intent)
    if len(matching) == len(ents) and len(ents) > 1:
        return SkillResult(reply=ctx.say(f"All of them are {said}: {names(matching, ctx)}.",
                                         f"全部都是{said}的：{names(matching, ctx)}。"), intents=intent)
    verb = "is" if len(matching) == 1 else "are"
    return SkillResult(reply=ctx.say(f"{names(matching, ctx)[0].upper()}{names(matching, ctx)[1:]} {verb} {said}.",
                                     f"{names(matching, ctx)}是{said}的。"), intents=intent)
