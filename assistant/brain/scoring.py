"""Scoring understood commands against expectations (the development set's ``expect`` field).

An expectation is ``{"intent": NAME | [NAME, ...] | null, "actions": [{"service", "entity_id", "data"?}],
"confirm": bool?, "actions_any": bool?, "slots": {NAME: VALUE}?}``. ``intent: null`` means "nothing may
happen" (chatter); ``confirm`` means a confirmation question and no action yet; ``actions_any`` accepts any
action. Actions compare as sets of (service, entity_id); expected ``data`` keys must match (numbers within
1 %); expected ``slots`` must all be in one of the intents' slots.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from assistant.intents import Understanding


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=0.01, abs_tol=1e-6)
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b


def check(u: Understanding, expect: dict[str, Any]) -> tuple[bool, str]:
    """(correct, why not) for one understanding."""
    want = expect.get("intent")
    got = [i.intent for i in u.intents]
    acts = [a for i in u.intents for a in i.actions]
    if want is None:
        if acts:
            return False, f"acted on chatter: {[a.as_dict() for a in acts]}"
        return True, ""
    if expect.get("confirm"):
        if not u.expects_reply or acts:
            return False, f"expected a confirmation question, got {u.reply!r}"
        return True, ""
    allowed = want if isinstance(want, list) else [want]
    if not set(allowed) & set(got):
        return False, f"intent {got or 'none'} != {want}"
    if expect.get("actions_any"):
        return (True, "") if acts else (False, "expected some action, got none")
    exp_acts = expect.get("actions") or []
    pairs = {(a["service"], a.get("entity_id")) for a in exp_acts}
    have = {(a.service, a.entity_id) for a in acts}
    if pairs != have:
        return False, f"actions {sorted(have, key=str)} != {sorted(pairs, key=str)}"
    for ea in exp_acts:
        for a in acts:
            if (a.service, a.entity_id) != (ea["service"], ea.get("entity_id")):
                continue
            for k, v in (ea.get("data") or {}).items():
                if k not in a.data or not _same(a.data[k], v):
                    return False, f"{a.entity_id} data {k}={a.data.get(k)!r} != {v!r}"
    want_slots = expect.get("slots") or {}
    if want_slots and not any(all(k in i.slots and _same(i.slots[k], v) for k, v in want_slots.items())
                              for i in u.intents):
        return False, f"slots {[i.slots for i in u.intents]} lack {want_slots}"
    return True, ""


@dataclass
class Tally:
    n: int = 0
    correct: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, ok: bool, ms: float) -> None:
        self.n += 1
        self.correct += ok
        self.ms.append(ms)

    def line(self, label: str) -> str:
        acc = 100.0 * self.correct / self.n if self.n else 0.0
        p50 = statistics.median(self.ms) if self.ms else 0.0
        p95 = sorted(self.ms)[max(0, math.ceil(0.95 * len(self.ms)) - 1)] if self.ms else 0.0
        return f"{label:<14} {self.correct:>4}/{self.n:<4} {acc:5.1f}%   ms p50 {p50:7.1f}  p95 {p95:7.1f}"


class Scoreboard:
    """Accuracy per path and per language, plus latency."""

    def __init__(self) -> None:
        self.by_path: dict[str, Tally] = defaultdict(Tally)
        self.by_lang: dict[str, Tally] = defaultdict(Tally)
        self.fast_by_lang: dict[str, Tally] = defaultdict(Tally)
        self.total = Tally()
        self.misses: list[str] = []

    def add(self, line_id: str, u: Understanding, expect: dict[str, Any]) -> bool:
        ok, why = check(u, expect)
        self.total.add(ok, u.ms)
        self.by_path[u.path].add(ok, u.ms)
        self.by_lang[u.language].add(ok, u.ms)
        if u.path == "fast":
            self.fast_by_lang[u.language].add(ok, u.ms)
        if not ok:
            self.misses.append(f"  {line_id} [{u.path}] {u.text!r}: {why}")
        return ok

    def report(self, *, show_misses: bool = True) -> str:
        out = ["accuracy (correct/total), latency of understanding:"]
        out += [t.line(f"path={p}") for p, t in sorted(self.by_path.items())]
        out += [t.line(f"lang={lang}") for lang, t in sorted(self.by_lang.items())]
        for lang, t in sorted(self.fast_by_lang.items()):
            cover = 100.0 * t.n / self.by_lang[lang].n if self.by_lang[lang].n else 0.0
            out.append(t.line(f"fast {lang}") + f"   coverage {cover:.1f}%")
        out.append(self.total.line("all"))
        if show_misses and self.misses:
            out.append("misses:")
            out += self.misses
        return "\n".join(out)
