"""A complaint about the room says which way to act: "it's too dark in here" never means lights off.

A small model reads the room and the device right but sometimes the direction wrong ("too dark in the
office" became "turn off the office lights"). When the words complain about the light, a call that
would make it worse is turned around; every other call passes unchanged.
"""

from __future__ import annotations

import logging
import re

from assistant.skillkit.spec import ToolCall

log = logging.getLogger(__name__)

_TOO_DARK = re.compile(r"\btoo dark\b|\bso dark\b|\bcan'?t see\b|\bcannot see\b|太暗|好暗|有点暗|很暗|看不见|看不清",
                       re.IGNORECASE)
_TOO_BRIGHT = re.compile(r"\btoo bright\b|\bso bright\b|\btoo much light\b|太亮|好亮|很亮|刺眼", re.IGNORECASE)


def direct(call: ToolCall, text: str) -> ToolCall:
    """``call`` turned the way the complaint in ``text`` asks for (lights on or covers open when it is
    too dark, off or closed when too bright); unchanged without a complaint."""
    dark, bright = bool(_TOO_DARK.search(text)), bool(_TOO_BRIGHT.search(text))
    if dark == bright:
        return call
    wrong, right = ("HassTurnOff", "HassTurnOn") if dark else ("HassTurnOn", "HassTurnOff")
    if call.name != wrong:
        return call
    log.info("%r complains it is too %s: %s turned into %s", text, "dark" if dark else "bright", wrong, right)
    return ToolCall(right, dict(call.args))
