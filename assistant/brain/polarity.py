"""The words say which way: "kill the fan" never means on, "把声音关掉" never means unmute.

A small model reads the device right but now and then the direction wrong: the on/off twin of the
right call ("freeze the parking timer" became unpause, "把声音关掉" became unmute). When the words
say only one way (an on-word and no off-word, or the reverse, and no negation), a call of the other
way is turned into its twin; a call with no twin, or words that say both ways or neither, pass
unchanged. Opening and closing are left out, and locks: for a lock "on" is locked, and "close the
door" must never become an unlock.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection

from assistant.skillkit.spec import ToolCall

log = logging.getLogger(__name__)

TWINS: dict[str, str] = {
    "HassTurnOn": "HassTurnOff",
    "HassMediaUnpause": "HassMediaPause",
    "HassMediaPlayerUnmute": "HassMediaPlayerMute",
    "HassUnpauseTimer": "HassPauseTimer",
}
"""Each call that starts, opens or sounds something, and its twin that stops, closes or silences it."""
_ON_TOOLS = frozenset(TWINS)
_OFF_TOOLS = frozenset(TWINS.values())
_TWIN = {**TWINS, **{off: on for on, off in TWINS.items()}}

_ON = re.compile(
    r"\b(?:turn|switch|power|flip|put)\b(?:(?!\boff\b)[^.?!,;])*?\bon\b"  # "turn the fan on", not "... off ... on"
    r"|\bpower up\b|\bfire up\b|\bget\b[^.?!,;]*?\bgoing\b|\bstart\b|\bresume\b|\bunpause\b|\bunmute\b|\bcontinue\b"
    r"|打开|开启|开一下|开灯|启动|继续|恢复|取消静音",
    re.IGNORECASE,
)
_OFF = re.compile(
    r"\boff\b|\bshut\b[^.?!,;]*?\bdown\b|\bkill\b|\bpause\b"
    r"|\bfreeze\b|\bhold\b|\bmute\b|\bsilence\b|\bstop\b"
    r"|关掉|关闭|关上|关了|关一下|关灯|暂停|静音|停止",
    re.IGNORECASE,
)
_LOCK = re.compile(r"\block|\bunlock|锁", re.IGNORECASE)
_NOT = re.compile(r"\bdon'?t\b|\bdo not\b|\bnever\b|\bnot\b|不要|别|不用", re.IGNORECASE)


def said(text: str) -> str | None:
    """"on" or "off" when the words say only that way, else None."""
    if _NOT.search(text):
        return None
    on_ = _ON.search(text)
    rest = _ON.sub(" ", text)  # "unmute", "取消静音": their "mute" is not an off-word
    off = _OFF.search(rest)
    if bool(on_) == bool(off):
        return None
    return "on" if on_ else "off"


def align(call: ToolCall, text: str, domains: Collection[str] = ()) -> ToolCall:
    """``call`` turned into its twin when it goes against the one way the words say; else unchanged.
    ``domains``: of the devices the call targets. A lock is never turned around ("打开门锁" unlocks,
    which is off), nor a call whose targets are unknown while the words speak of a lock."""
    if "lock" in domains or (not domains and _LOCK.search(text)):
        return call
    way = said(text)
    wrong = _OFF_TOOLS if way == "on" else _ON_TOOLS if way == "off" else frozenset()
    if call.name not in wrong:
        return call
    twin = _TWIN[call.name]
    log.info("%r says %s: %s turned into %s", text, way, call.name, twin)
    return ToolCall(twin, dict(call.args))
