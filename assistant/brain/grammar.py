"""GBNF grammar for the LLM's one output line, built from the tools' JSON schemas and the live inventory.

The grammar forces a well-formed call whose device, area and floor names exist in the home, and
always allows ``none`` (no tool) and ``ask <question>``. Arguments come in schema order, each at
most once, required ones always. Validation of a parsed call (:func:`validate`) applies the same
rules, so a call from a model without a grammar (a user's chat model) is held to them too.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall, ToolSpec

log = logging.getLogger(__name__)

NAME_DOMAINS: dict[str, tuple[str, ...] | None] = {
    "HassGetState": None, "HassClimateGetTemperature": ("climate", "sensor"), "HassGetWeather": ("weather",),
}
"""Tools that only read (they declare no services) whose ``name`` argument is a device of these
domains (None: any). A tool that acts names its domains itself (``ToolSpec.domains``, from the
skill's declared services)."""
DOMAINS = ("light", "switch", "fan", "cover", "media_player", "lock", "vacuum", "climate", "sensor",
           "binary_sensor", "alarm_control_panel")
DEVICE_CLASSES = ("blind", "curtain", "shade", "shutter", "window", "door", "garage", "gate", "awning",
                  "motion", "moisture", "temperature", "outlet", "tv", "speaker")
STATES = ("on", "off", "open", "closed", "locked", "unlocked", "playing", "paused", "idle", "docked",
          "cleaning", "home", "away", "armed", "disarmed", "heat", "cool")
PERCENT_ARGS = ("brightness", "position", "volume_level")
"""Integer arguments that are percentages (0-100) in the built-in skills' contract."""
MAX_ASK_CHARS = 160
MAX_STR_CHARS = 48


def _lit(text: str) -> str:
    """A GBNF string literal."""
    return json.dumps(text, ensure_ascii=False)


def _json_str_lit(text: str) -> str:
    """A GBNF literal matching ``text`` as a JSON string (with its quotes)."""
    return _lit(json.dumps(text, ensure_ascii=False))


def _usable(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for n in names:
        if n and "\n" not in n and n not in seen:
            seen[n] = None
    return sorted(seen, key=lambda s: (-len(s), s))


class Vocabulary:
    """The names the grammar and the validator accept for one home."""

    def __init__(self, inventory: Inventory) -> None:
        self.areas = _usable(n for a in inventory.areas for n in (a.name, *a.aliases))
        self.floors = _usable(a.floor for a in inventory.areas if a.floor)
        self.by_domain: dict[str, list[str]] = {}
        for e in inventory.entities:
            self.by_domain.setdefault(e.domain, []).extend((e.name, *e.aliases))
        classes = {str(e.attributes.get("device_class")) for e in inventory.entities
                   if e.attributes.get("device_class")}
        self.device_classes = _usable([*DEVICE_CLASSES, *sorted(classes)])
        self.domains = _usable([*DOMAINS, *self.by_domain])

    def entities(self, domains: tuple[str, ...] | None) -> list[str]:
        keys = self.by_domain if domains is None else [d for d in domains if d in self.by_domain]
        return _usable(n for d in keys for n in self.by_domain[d])

    def allowed(
        self, tool: str, prop: str, schema: dict[str, Any], domains: tuple[str, ...] = ()
    ) -> list[str] | None:
        """Closed set of string values for a property, or None when any short string goes."""
        if "enum" in schema:
            return [str(v) for v in schema["enum"]]
        if prop == "area":
            return self.areas
        if prop == "floor":
            return self.floors
        if prop == "domain":
            return self.domains
        if prop == "device_class":
            return self.device_classes
        if prop == "state":
            return list(STATES)
        if prop == "name" and domains:
            return self.entities(domains)
        if prop == "name" and tool in NAME_DOMAINS:
            return self.entities(NAME_DOMAINS[tool])
        return None


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type", "string")
    return list(t) if isinstance(t, list) else [t]


class _Builder:
    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.rules: dict[str, str] = {}

    def rule(self, name: str, body: str) -> str:
        name = re.sub(r"[^a-zA-Z0-9-]", "-", name)
        self.rules[name] = body
        return name

    def value(self, tool_i: int, tool: str, prop: str, schema: dict[str, Any],
              domains: tuple[str, ...] = ()) -> str | None:
        alts: list[str] = []
        for t in _types(schema):
            if t == "string":
                closed = self.vocab.allowed(tool, prop, schema, domains)
                if closed is None:
                    alts.append("str")
                elif closed:
                    alts.append(self.rule(f"t{tool_i}-{prop}-v", " | ".join(_json_str_lit(v) for v in closed)))
            elif t == "integer":
                lo, hi = schema.get("minimum"), schema.get("maximum")
                alts.append("pct" if (lo, hi) == (0, 100) or prop in PERCENT_ARGS else "int")
            elif t == "number":
                alts.append("num")
            elif t == "boolean":
                alts.append('("true" | "false")')
            elif "enum" in schema:
                alts.append(" | ".join(_lit(json.dumps(v, ensure_ascii=False)) for v in schema["enum"]))
        return " | ".join(alts) if alts else None

    def tool(self, i: int, spec: ToolSpec) -> str | None:
        params = spec.parameters or {}
        required = set(params.get("required", []))
        kvs: list[tuple[str, bool]] = []
        for prop, schema in params.get("properties", {}).items():
            val = self.value(i, spec.name, prop, schema if isinstance(schema, dict) else {}, spec.domains)
            if val is None:
                if prop in required:
                    return None  # a required argument nothing in this home can fill
                continue
            kvs.append((self.rule(f"t{i}-{prop}", f"{_lit(json.dumps(prop) + ':')} ({val})"), prop in required))
        n = len(kvs)
        # first-k: the remaining arguments from k when none is written yet; rest-k: after one was.
        for k in range(n, -1, -1):
            if k == n:
                self.rule(f"t{i}-rest{k}", '""')
                continue
            kv, req = kvs[k]
            nxt = f"t{i}-rest{k + 1}"
            self.rule(f"t{i}-rest{k}", f'"," {kv} {nxt}' if req else f'("," {kv})? {nxt}')
        for k in range(n - 1, -1, -1):
            kv, req = kvs[k]
            take = f"{kv} t{i}-rest{k + 1}"
            body = f"{take} | t{i}-first{k + 1}" if not req and k + 1 < n else take
            self.rule(f"t{i}-first{k}", body)
        any_required = any(r for _, r in kvs)
        inner = f"t{i}-first0" if n else ""
        obj = f'"{{" {inner} "}}"' if any_required else (f'"{{" ({inner})? "}}"' if n else '"{}"')
        return self.rule(f"t{i}", f"{_lit(spec.name + ' ')} {obj}")


def build(tools: Sequence[ToolSpec], inventory: Inventory) -> str:
    """The GBNF text: one line starting with a space, ending with a newline."""
    b = _Builder(Vocabulary(inventory))
    calls = [r for i, t in enumerate(tools) if (r := b.tool(i, t)) is not None]
    lines = [
        'root ::= " " (call | "none" | ask) "\\n"',
        f"call ::= {' | '.join(calls)}" if calls else 'call ::= "none"',
        f'ask ::= "ask " [^\\n]{{1,{MAX_ASK_CHARS}}}',
        f'str ::= "\\"" [^"\\\\\\n]{{1,{MAX_STR_CHARS}}} "\\""',
        'int ::= "-"? [0-9]{1,6}',
        'pct ::= "100" | [1-9] [0-9] | [0-9]',
        'num ::= "-"? [0-9]{1,4} ("." [0-9]{1,2})?',
    ]
    lines += [f"{name} ::= {body}" for name, body in b.rules.items()]
    return "\n".join(lines) + "\n"


def validate(call: ToolCall, tools: Sequence[ToolSpec], inventory: Inventory) -> str | None:
    """Why ``call`` is not acceptable in this home (unknown tool, argument or name), or None if it is."""
    spec = next((t for t in tools if t.name == call.name), None)
    if spec is None:
        return f"unknown tool {call.name}"
    props = (spec.parameters or {}).get("properties", {})
    vocab = Vocabulary(inventory)
    for req in (spec.parameters or {}).get("required", []):
        if req not in call.args:
            return f"{call.name} needs {req}"
    for key, value in call.args.items():
        schema = props.get(key)
        if schema is None:
            return f"{call.name} has no argument {key}"
        types = _types(schema)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return f"{key} must be a string or a number"
        if isinstance(value, str):
            if "string" not in types:
                return f"{key} must be a number"
            closed = vocab.allowed(call.name, key, schema, spec.domains)
            if closed is not None and value not in closed:
                return f"{key} {value!r} is not in this home"
        elif not {"integer", "number"} & set(types):
            return f"{key} must be a string"
    return None
