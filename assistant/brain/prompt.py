"""The one prompt format of the bundled LLM, shared by run time and training.

Layout (plain completion, no chat template)::

    tools:
    HassTurnOn(name,area,floor,domain,device_class)
    ...
    home:
    -: Home Forecast (weather)
    Kitchen [Ground floor]: Kitchen Light (light); Coffee Maker (switch)
    request:
    before: turn on the kitchen light => HassTurnOn {"name":"Kitchen Light"}
    room: Kitchen
    user: it's dark in here
    out: HassTurnOn {"area":"Kitchen","domain":"light"}

The ``home:`` block lists the devices this command can refer to: the whole home when it is
small, else a bounded set of candidates (:mod:`assistant.brain.candidates`) in the same format, so
the prompt fits the context at any home size. Nothing depends on states. The tools come first and
never change, so llama.cpp keeps them evaluated (KV cache) across commands and renames; a small
home's block stays byte-identical too, and a big home's few candidate lines cost only their own
tokens.
The output is one line: a call ``Name {json args}``, ``none`` or ``ask <question>``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.brain.llm_base import Turn
from assistant.home.inventory import Area, Inventory
from assistant.skillkit.spec import ToolCall, ToolSpec

log = logging.getLogger(__name__)

OUT_MARK = "out:"
"""The prompt ends with this; the completion starts with a space."""
NONE = "none"
ASK = "ask"
MAX_HISTORY = 2
"""Previous turns shown for follow-ups."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """One output line, parsed: a call, a question, or neither (``none``)."""

    call: ToolCall | None = None
    ask: str | None = None


def tool_line(tool: ToolSpec) -> str:
    props = list((tool.parameters or {}).get("properties", {}))
    return f"{tool.name}({','.join(props)})"


def render_home(inventory: Inventory) -> list[str]:
    """One line per area (name, aliases, floor, then its devices), after one line of the devices of
    no area: those are mostly home-wide (weather, lists) and shown with every candidate set, so
    listed first they stay in the evaluated prefix while the rooms after them change."""
    lines: list[str] = []
    by_area: dict[str | None, list[str]] = {}
    for e in inventory.entities:
        names = "/".join([e.name, *e.aliases])
        by_area.setdefault(e.area, []).append(f"{names} ({e.domain})")
    if by_area.get(None):
        lines.append(f"-: {'; '.join(by_area[None])}")
    for a in inventory.areas:
        lines.append(f"{area_label(a)}: {'; '.join(by_area.get(a.id, []))}".rstrip())
    return lines


def area_label(a: Area) -> str:
    label = "/".join([a.name, *a.aliases])
    return f"{label} [{a.floor}]" if a.floor else label


def prefix(tools: Sequence[ToolSpec], inventory: Inventory) -> str:
    """The fixed part: tools and home. Identical for every command in the same home."""
    ordered = sorted(tools, key=lambda t: t.name)  # registry order must not change the prompt
    parts = ["tools:", *(tool_line(t) for t in ordered), "home:", *render_home(inventory), "request:"]
    return "\n".join(parts) + "\n"


def _area_name(inventory: Inventory, area: str | None) -> str | None:
    if not area:
        return None
    a = inventory.area(area)
    if a is not None:
        return a.name
    folded = area.casefold()
    for a in inventory.areas:
        if folded in (a.name.casefold(), *(x.casefold() for x in a.aliases)):
            return a.name
    return area


def request(
    text: str,
    *,
    inventory: Inventory,
    area: str | None = None,
    history: Sequence[Turn] = (),
) -> str:
    """The per-command part: recent turns, the speaker's room, the utterance, the output mark."""
    lines = [f"before: {_one_line(t.text)} => {format_output(t.call)}" for t in history[-MAX_HISTORY:]]
    room = _area_name(inventory, area)
    if room:
        lines.append(f"room: {room}")
    lines.append(f"user: {_one_line(text)}")
    lines.append(OUT_MARK)
    return "\n".join(lines)


def render(
    text: str,
    *,
    tools: Sequence[ToolSpec],
    inventory: Inventory,
    area: str | None = None,
    history: Sequence[Turn] = (),
) -> str:
    return prefix(tools, inventory) + request(text, inventory=inventory, area=area, history=history)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def format_args(args: dict[str, Any]) -> str:
    return json.dumps(args, ensure_ascii=False, separators=(",", ":"))


def format_output(call: ToolCall | None, ask: str | None = None) -> str:
    """The output line (without the leading space and newline)."""
    if ask is not None:
        return f"{ASK} {_one_line(ask)}"
    if call is None:
        return NONE
    return f"{call.name} {format_args(call.args)}"


def completion(call: ToolCall | None, ask: str | None = None) -> str:
    """What the model is trained to write after ``out:``."""
    return " " + format_output(call, ask) + "\n"


def parse_output(raw: str) -> Parsed:
    """Parse one output line; anything unreadable counts as ``none`` (never act on garbage)."""
    line = raw.strip().split("\n", 1)[0].strip()
    if not line or line == NONE:
        return Parsed()
    if line.startswith(ASK + " "):
        question = line[len(ASK) + 1 :].strip()
        return Parsed(ask=question or None)
    name, _, rest = line.partition(" ")
    if not name.isidentifier():
        log.debug("unreadable model output %r", raw)
        return Parsed()
    try:
        args = json.loads(rest) if rest.strip() else {}
    except json.JSONDecodeError:
        log.debug("model output has bad JSON args: %r", raw)
        return Parsed()
    if not isinstance(args, dict):
        return Parsed()
    return Parsed(call=ToolCall(name, args))
