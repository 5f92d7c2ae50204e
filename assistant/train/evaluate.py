"""Scores the LLM tool caller on the held-out split: exact call, resulting action, off-topic false actions.

*Exact call*: same tool and the same arguments (strings compared case-insensitively, numbers by
value); for ask/none targets, the same kind of answer. *Action*: the entity ids both calls
resolve to in the home (:class:`assistant.home.resolve.Resolver`) plus the non-target arguments,
so "Kitchen Light" and "kitchen lights" that pick the same light count as the same action.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.brain.llm_base import LlmResult
from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall, ToolSpec
from assistant.train.datagen import Example

log = logging.getLogger(__name__)

TARGET_ARGS = ("name", "area", "floor", "domain", "device_class")
DEVICE_TOOLS = {"HassTurnOn", "HassTurnOff", "HassToggle", "HassLightSet", "HassClimateSetTemperature",
                "HassClimateGetTemperature", "HassSetPosition", "HassGetState", "HassMediaPause",
                "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious", "HassSetVolume",
                "HassVacuumStart", "HassVacuumReturnToBase"}


def _norm(v: Any) -> Any:
    if isinstance(v, str):
        return " ".join(v.casefold().split())
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    return v


def same_call(a: ToolCall | None, b: ToolCall | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.name == b.name and {k: _norm(v) for k, v in a.args.items()} == {
        k: _norm(v) for k, v in b.args.items()}


def action(call: ToolCall, inventory: Inventory, area: str | None) -> tuple[Any, ...]:
    """What a call would do: tool, resolved entity ids (device tools), other arguments."""
    rest = tuple(sorted((k, _norm(v)) for k, v in call.args.items() if k not in TARGET_ARGS))
    if call.name not in DEVICE_TOOLS:
        named = tuple(sorted((k, _norm(v)) for k, v in call.args.items() if k in TARGET_ARGS))
        return (call.name, named, rest)
    from assistant.home.resolve import Resolver

    a = call.args
    res = Resolver(inventory).resolve(
        a.get("name"), area=a.get("area"), floor=a.get("floor"), domain=a.get("domain"),
        device_class=a.get("device_class"), speaker_area=area)
    ids = tuple(sorted(e.entity_id for e in res.entities)) if res.ok else (res.status,)
    return (call.name, ids, rest)


def same_action(pred: ToolCall | None, gold: ToolCall | None, inventory: Inventory, area: str | None) -> bool:
    if pred is None or gold is None:
        return pred is gold
    return action(pred, inventory, area) == action(gold, inventory, area)


@dataclass
class Tally:
    n: int = 0
    exact: int = 0
    action: int = 0

    def add(self, exact: bool, act: bool) -> None:
        self.n += 1
        self.exact += exact
        self.action += act

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "exact": round(self.exact / self.n, 3) if self.n else None,
                "action": round(self.action / self.n, 3) if self.n else None}


@dataclass
class Score:
    overall: Tally = field(default_factory=Tally)
    by_skill: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    offtopic: int = 0
    offtopic_acted: int = 0
    ms: list[float] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        ms = sorted(self.ms)
        return {
            "overall": self.overall.as_dict(),
            "by_language": {k: v.as_dict() for k, v in sorted(self.by_language.items())},
            "by_skill": {k: v.as_dict() for k, v in sorted(self.by_skill.items())},
            "offtopic_false_action_rate": round(self.offtopic_acted / self.offtopic, 3) if self.offtopic else None,
            "offtopic_n": self.offtopic,
            "ms_median": round(statistics.median(ms), 1) if ms else None,
            "ms_p90": round(ms[int(0.9 * (len(ms) - 1))], 1) if ms else None,
        }


Caller = Callable[[Example], LlmResult]


def score(examples: Sequence[Example], call: Caller) -> Score:
    s = Score()
    for ex in examples:
        r = call(ex)
        s.ms.append(r.ms)
        if ex.ask is not None:
            exact = act = r.call is None and r.ask is not None
        elif ex.call is None:
            exact = act = r.call is None
            s.offtopic += 1
            s.offtopic_acted += r.call is not None
        else:
            exact = same_call(r.call, ex.call)
            act = exact or same_action(r.call, ex.call, ex.inventory, ex.area)
        s.overall.add(exact, act)
        s.by_skill[ex.skill].add(exact, act)
        s.by_language[ex.language].add(exact, act)
        if not exact and len(s.misses) < 400:
            s.misses.append({"text": ex.text, "lang": ex.language, "want": prompt_line(ex),
                             "got": r.raw.strip()})
    return s


def prompt_line(ex: Example) -> str:
    return ex.completion().strip()


def run_caller(caller: Any, tools: Sequence[ToolSpec]) -> Caller:
    """Adapt a ToolCaller to :func:`score`, warming the prefix once per home (as at run time)."""
    state: dict[str, Any] = {"home": None}

    def call(ex: Example) -> LlmResult:
        shown = ex.shown()  # the candidates the run time would show (the whole home when small)
        if state["home"] is not ex.inventory:
            caller.warm(tools, shown)
            state["home"] = ex.inventory
        return caller.call(ex.text, tools=tools, inventory=shown, area=ex.area,
                           language=ex.language, history=ex.history)

    return call
