"""Short follow-ups that only make sense after a previous command, in English and Chinese.

"and the bedroom too", "a bit brighter", "turn it off", "undo" / "卧室也是", "亮一点", "把它关掉",
"撤销". Each becomes a tool call derived from the previous one, or an undo of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.home import words
from assistant.home.resolve import Resolver
from assistant.intents import Intent
from assistant.skillkit.spec import ToolCall

TARGET_ARGS = ("name", "area", "floor", "domain", "device_class")
STEP_PCT = 20
"""How much "a bit brighter"/"dimmer" changes brightness, percent."""

_UNDO = re.compile(
    r"^(?:undo(?: that| it)?|cancel that|revert(?: that| it)?|put it back|take (?:that|it) back|"
    r"go back|change it back|撤销|撤回|取消刚才的(?:操作)?|恢复原样|恢复|改回来)$"
)
_BRIGHTER = re.compile(r"^(?:make it |make them |a (?:little|bit) |slightly |a little bit )*(?:brighter|more light)"
                       r"(?: please)?$|^(?:再|调)?亮(?:一点|一些|点)?$|^调亮(?:一点|一些|点)?$")
_DIMMER = re.compile(r"^(?:make it |make them |a (?:little|bit) |slightly |a little bit )*(?:dimmer|darker|less bright)"
                     r"(?: please)?$|^(?:再|调)?暗(?:一点|一些|点)?$|^调暗(?:一点|一些|点)?$")
_IT = r"(?:it|them|that|those)"
_PRONOUN = re.compile(
    rf"^(?:now |and |ok |okay )?(?:turn|switch|shut|put) (?:{_IT} (on|off)|(on|off) {_IT})"
    r"(?: again)?(?: please)?$"
)
_PRONOUN_ZH = re.compile(
    r"^(?:再)?(?:把)?(?:它|它们|这个|那个)(打开|开|关掉|关上|关|关闭)(?:了|吧|掉)?$"
    r"|^(打开|关掉|关上|关闭)(?:它|它们)$"
)
_TOO_EN = re.compile(
    r"^(?:(?:and|also|what about|how about|same for|same in|do the same (?:for|in))\s+)(?:in\s+|for\s+)?(.+?)"
    r"(?:\s+(?:too|as well|also))?$|^(?:(?:in|for)\s+)?(.+?)\s+(?:too|as well)$"
)
_TOO_ZH = re.compile(
    r"^(?:还有|那|那么)?(.+?)(?:也(?:是|要|一样|打开|开|关掉|关上|关|关闭)?(?:一下)?(?:吧|呢)?|呢)$"
    r"|^还有(.+)$"
)


@dataclass(frozen=True, slots=True)
class FollowUp:
    kind: str
    """``call`` (run ``call``) or ``undo`` (publish the previous command's undo intents)."""
    call: ToolCall | None = None


def _clean(text: str) -> str:
    t = text.strip().casefold().replace("’", "'")
    return re.sub(r"[\s,.!?。！？，]+$", "", re.sub(r"^(?:hey |ok |please )", "", t)).strip()


def _targets(call: ToolCall) -> dict[str, Any]:
    return {k: v for k, v in call.args.items() if k in TARGET_ARGS}


def _domain_of(intents: tuple[Intent, ...]) -> str | None:
    for i in intents:
        for a in i.actions:
            if a.entity_id:
                return a.entity_id.split(".", 1)[0]
    return None


def parse(text: str, last: ToolCall, last_intents: tuple[Intent, ...], resolver: Resolver) -> FollowUp | None:
    """The follow-up ``text`` makes of the previous call, or None when it is not one."""
    t = _clean(text)
    if not t:
        return None
    if _UNDO.match(t):
        return FollowUp("undo")
    dom = _domain_of(last_intents)
    target = _targets(last) or ({"domain": dom} if dom else {})
    if not target:
        return None
    if _BRIGHTER.match(t) or _DIMMER.match(t):
        step = STEP_PCT if _BRIGHTER.match(t) else -STEP_PCT
        return FollowUp("call", ToolCall("HassLightSet", {**target, "brightness_step": step}))
    m = _PRONOUN.match(t)
    if m:
        on = (m.group(1) or m.group(2)) == "on"
        return FollowUp("call", ToolCall("HassTurnOn" if on else "HassTurnOff", target))
    m = _PRONOUN_ZH.match(t)
    if m:
        verb = m.group(1) or m.group(2)
        return FollowUp("call", ToolCall("HassTurnOn" if verb.startswith(("打开", "开")) else "HassTurnOff", target))
    m = (_TOO_ZH if words.is_chinese(t) else _TOO_EN).match(t)
    if m:
        said = (m.group(1) or m.group(2) or "").strip()
        return _same_for(said, last, last_intents, resolver)
    return None


def _same_for(said: str, last: ToolCall, last_intents: tuple[Intent, ...], resolver: Resolver) -> FollowUp | None:
    """The previous command again for another area ("and the bedroom too") or device."""
    if not said:
        return None
    rest = {k: v for k, v in last.args.items() if k not in TARGET_ARGS}
    area = resolver.area(said)
    if area is not None:
        dom = last.args.get("domain") or _domain_of(last_intents)
        args = {**rest, "area": area.id}
        if dom:
            args["domain"] = dom
        if last.args.get("device_class"):
            args["device_class"] = last.args["device_class"]
        return FollowUp("call", ToolCall(last.name, args))
    if resolver.resolve(said).status in ("ok", "ambiguous"):
        return FollowUp("call", ToolCall(last.name, {**rest, "name": said}))
    return None
