"""The brain: pending questions → follow-ups → template fast path → LLM tool caller → skill.

Every path ends in one validated skill call; a refusal or failure becomes a short spoken reply,
never an exception, so the assistant keeps serving the next request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from assistant.brain import candidates, followup, numbers
from assistant.brain.fastpath import FastPath
from assistant.brain.grounding import grounded, said_device
from assistant.brain.llm_base import LlmResult, ToolCaller, Turn
from assistant.brain.memory import Exchange, Memory
from assistant.events import Announcement, EventBus, Understood
from assistant.home import words
from assistant.home.inventory import Inventory
from assistant.home.resolve import Resolver
from assistant.intents import Understanding
from assistant.skillkit.context import SkillContext
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall
from assistant.skillkit.timers import Timer, TimerManager

log = logging.getLogger(__name__)

DEVICE_INTENTS = frozenset({"HassTurnOn", "HassTurnOff", "HassToggle", "HassLightSet", "HassSetPosition"})
"""Intents whose unknown device name is worth saying back ("I don't know a device called X")."""
OFF_TOPIC = ("Sorry, I can only help with the home.", "抱歉，我只能帮您处理家里的事情。")
NOT_UNDERSTOOD = ("Sorry, I didn't understand that.", "抱歉，我没听懂。")
CANCELLED = ("Okay, I won't.", "好的，已取消。")
NOTHING_TO_UNDO = ("There's nothing to undo.", "没有可以撤销的操作。")
UNDONE = ("Okay, I've put it back.", "好的，已恢复。")
UNSURE = ("I'm not sure which device you mean. Could you say its name?", "我不确定您指的是哪个设备，请说出它的名字。")


@dataclass(frozen=True, slots=True)
class _Home:
    """The inventory and its resolver, swapped together so a request never sees a mix."""

    inventory: Inventory
    resolver: Resolver

    def shown(self, text: str, area_id: str | None, history: list[Exchange]) -> Inventory:
        """What the LLM sees of this home for one command (a bounded set of candidates)."""
        return candidates.select(self.resolver.index, text, area_id, [x.text for x in history[-2:]])


class HearthBrain:
    """Implements :class:`assistant.brain.base.Brain`."""

    def __init__(
        self,
        inventory: Inventory,
        registry: SkillRegistry,
        *,
        fast_path: FastPath | None = None,
        tool_caller: ToolCaller | None = None,
        bus: EventBus | None = None,
        timers: TimerManager | None = None,
        followup_window_s: float = 8.0,
        settings: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], Any] | None = None,
        default_language: str = "en",
        publish: bool = True,
    ) -> None:
        self.registry = registry
        self.fast_path = fast_path
        self.tool_caller = tool_caller
        self.bus = bus
        self.publish = publish
        self.timers = timers or TimerManager()
        if self.timers.on_finish is None:
            self.timers.on_finish = self._timer_done
        self.memory = Memory(followup_window_s, clock=clock)
        self.settings = dict(settings or {})
        self._clock = clock
        self._wall_clock = wall_clock
        self.default_language = default_language
        self._home = _Home(inventory, Resolver(inventory))
        self._prefetch_lock = threading.Lock()
        self._prefetched: dict[str, tuple[_Home, Future[LlmResult | None]]] = {}
        if fast_path is not None:
            fast_path.set_inventory(inventory)
            fast_path.prepare(self._arg_names())

    # -- live home --------------------------------------------------------------------------

    @property
    def inventory(self) -> Inventory:
        return self._home.inventory

    def set_inventory(self, inventory: Inventory) -> None:
        """Swap in a new inventory (the MQTT bridge calls this when the home's names change;
        a state change updates the entities in place and never comes here)."""
        if self.fast_path is not None:
            self.fast_path.set_inventory(inventory)
        self._home = _Home(inventory, Resolver(inventory))

    def warm(self) -> None:
        """Prepare the LLM's fixed prompt prefix once, before the first command."""
        if self.tool_caller is not None:
            self.tool_caller.warm(self.registry.specs(), self._home.shown("", None, []))

    # -- voice outside a turn ---------------------------------------------------------------

    def announce(self, text: str, source: str = "") -> None:
        if self.bus is not None:
            self.bus.publish(Announcement(text=text, source=source))
        else:
            log.info("announcement: %s", text)

    def _timer_done(self, t: Timer) -> None:
        self.announce(t.announcement(), source="timer")

    # -- understanding ----------------------------------------------------------------------

    def understand(
        self,
        text: str,
        *,
        area: str | None = None,
        language: str = "en",
        conversation_id: str = "default",
        execute: bool = True,
    ) -> Understanding:
        t0 = time.perf_counter()
        lang = self._language(language, text)
        home = self._home
        where = home.resolver.area(area) if area else None
        area_id = where.id if where else None
        zh = lang == "zh"
        conv = self.memory.get(conversation_id)

        call: ToolCall | None = None
        path = "none"
        confirmed = False
        result: SkillResult | None = None

        if conv.confirm is not None:
            pending = conv.confirm
            self.memory.clear_question(conversation_id)
            if followup.is_yes(text):
                call, path, confirmed = pending, "fast", True
            else:
                result = SkillResult(reply=CANCELLED[zh])
        elif conv.choice is not None:
            pending, choices = conv.choice, conv.choices
            self.memory.clear_question(conversation_id)
            pick = _pick(text, choices)
            if pick is not None:
                call, path = ToolCall(pending.name, {**pending.args, "name": pick}), "fast"

        if result is None and call is None and conv.history:
            last = conv.history[-1]
            if last.call is not None:
                fu = followup.parse(text, last.call, last.intents, home.resolver)
                if fu is not None and fu.kind == "undo":
                    result = self._undo(conversation_id, zh, execute)
                    path = "fast"
                elif fu is not None and fu.call is not None:
                    call, path = self._fit(fu.call), "fast"

        llm_ask: str | None = None
        unknown: str | None = None
        if result is None and call is None and self.fast_path is not None:
            m = self.fast_path.match(
                text, language=lang, area=area_id, skills=self._arg_names(),
                accept=lambda c: self._resolves(c, area_id),
            )
            if m is not None and m.loose and not m.resolved:
                if m.call.name in DEVICE_INTENTS:
                    unknown = home.resolver.resolve(m.call.args["name"]).message(lang)
            elif m is not None:
                call, path = m.call, "fast"

        if result is None and call is None and self.tool_caller is not None:
            path = "llm"
            try:
                out = self._ask_llm(text, home, area_id, lang, conv.history)
                call, llm_ask = out.call, out.ask
                if call is not None and not grounded(call, text, home.inventory, area_id, home.resolver.index):
                    fixed = said_device(call, text, home.inventory, area_id, home.resolver.index)
                    log.info("LLM named a target the user did not say: %s %s; %s", call.name, call.args,
                             f"the device said is {fixed.args['name']!r}" if fixed else "not acting")
                    if fixed is None and any(k in call.args for k in ("name", "area", "domain")):
                        llm_ask = UNSURE[zh]
                    call = fixed
                if call is not None:
                    skill = self.registry.get(call.name)
                    call = numbers.reconcile(call, text, skill.spec if skill is not None else None)
            except Exception as e:
                log.exception("LLM tool caller failed on %r", text)
                result = SkillResult(reply=NOT_UNDERSTOOD[zh], error={"code": "llm_failed", "message": str(e)})

        if result is None and call is not None:
            ctx = SkillContext(
                inventory=home.inventory, resolver=home.resolver, timers=self.timers,
                settings=self.settings, announce=self.announce, area=area_id, language=lang,
                dry_run=not execute, confirmed=confirmed, **self._wall(),
            )
            result = self.registry.invoke(call, ctx)
            if result.error:
                log.info("skill %s refused %s: %s", call.name, call.args, result.error)
        if result is None:
            if llm_ask:
                result = SkillResult(reply=llm_ask, expects_reply=True)
            elif unknown:
                result = SkillResult(reply=unknown)
                path = "none"
            else:
                result = SkillResult(reply=(OFF_TOPIC if self.tool_caller else NOT_UNDERSTOOD)[zh])
                path = "none"

        if execute:
            self._remember(conversation_id, text, call, result)
        u = Understanding(
            text=text, reply=result.reply, intents=result.intents, path=path,
            ms=(time.perf_counter() - t0) * 1000, language=lang, expects_reply=result.expects_reply,
        )
        if execute and self.publish and self.bus is not None:
            self.bus.publish(Understood(understanding=u, area=area_id or ""))
        return u

    # -- the LLM, possibly started early -------------------------------------------------------

    def prefetch(
        self,
        text: str,
        *,
        area: str | None = None,
        language: str = "en",
        conversation_id: str = "default",
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Start the LLM on a likely final transcript while the end-of-speech timeout still runs,
        so that :meth:`understand` of the same words finds the answer ready (or nearly). Acts on
        nothing and remembers nothing; words the templates or a follow-up handle are skipped."""
        if self.tool_caller is None or not text.strip():
            return
        lang = self._language(language, text)
        home = self._home
        where = home.resolver.area(area) if area else None
        area_id = where.id if where else None
        conv = self.memory.get(conversation_id)
        if conv.confirm is not None or conv.choice is not None:
            return
        last = conv.history[-1] if conv.history else None
        if last is not None and last.call is not None and followup.parse(text, last.call, last.intents,
                                                                         home.resolver) is not None:
            return
        if self.fast_path is not None and self.fast_path.match(
            text, language=lang, area=area_id, skills=self._arg_names(),
            accept=lambda c: self._resolves(c, area_id),
        ) is not None:
            return
        key = _llm_key(text, home, area_id, lang, conv.history)
        pending: Future[LlmResult | None] = Future()
        with self._prefetch_lock:
            if key in self._prefetched:
                return
            self._prefetched = {key: (home, pending)}  # only the latest guess; home kept so its id stays unique
        try:
            out: LlmResult | None = self.tool_caller.call(
                text, tools=self.registry.specs(), inventory=home.shown(text, area_id, conv.history),
                area=area_id, language=lang,
                history=[Turn(x.text, x.call) for x in conv.history], stop=stop,
            )
            pending.set_result(None if stop is not None and stop() else out)
        except Exception as e:
            pending.set_exception(e)

    def _ask_llm(self, text: str, home: _Home, area_id: str | None, lang: str,
                 history: list[Exchange]) -> LlmResult:
        """The prefetched answer for exactly these words, home and history; else a fresh call."""
        with self._prefetch_lock:
            entry = self._prefetched.pop(_llm_key(text, home, area_id, lang, history), None)
        ready = entry[1] if entry is not None else None
        if ready is not None:
            try:
                out = ready.result()  # waits while the prefetch is still decoding
                if out is not None:
                    return out
            except Exception:
                log.warning("prefetched LLM call failed; calling again", exc_info=True)
        return self.tool_caller.call(  # type: ignore[union-attr]
            text, tools=self.registry.specs(), inventory=home.shown(text, area_id, history),
            area=area_id, language=lang,
            history=[Turn(x.text, x.call) for x in history],
        )

    def _fit(self, call: ToolCall) -> ToolCall:
        """Drop arguments the skill does not take (a follow-up carries the previous target over)."""
        names = self._arg_names().get(call.name)
        if names is None:
            return call
        return ToolCall(call.name, {k: v for k, v in call.args.items() if k in names})

    def _arg_names(self) -> dict[str, tuple[str, ...]]:
        return {s.name: tuple(p.name for p in s.params) for s in self.registry}

    def _resolves(self, call: ToolCall, area_id: str | None) -> set[str] | None:
        """The domains a loosely matched device name stands for here; None when it means nothing."""
        res = self._home.resolver.resolve(call.args.get("name"), area=call.args.get("area"),
                                          speaker_area=area_id)
        if res.status not in ("ok", "ambiguous", "unsupported"):
            return None
        return {e.domain for e in res.entities}

    def _wall(self) -> dict[str, Any]:
        return {"clock": self._wall_clock} if self._wall_clock is not None else {}

    def _language(self, language: str, text: str) -> str:
        """``en``/``zh``; Chinese script always means Chinese (an English command has none)."""
        if words.is_chinese(text):
            return "zh"
        lang = (language or self.default_language).split("-")[0].lower()
        return lang if lang in ("en", "zh") else "en"

    def _remember(self, cid: str, text: str, call: ToolCall | None, result: SkillResult) -> None:
        if result.confirm is not None:
            self.memory.ask(cid, confirm=result.confirm)
        elif result.choices and call is not None:
            self.memory.ask(cid, choice=call, choices=result.choices)
        if call is not None and result.intents and not result.error:
            self.memory.remember(cid, Exchange(text, call, result.intents, result.undo, self._clock()))

    def _undo(self, cid: str, zh: bool, execute: bool) -> SkillResult:
        last = self.memory.pop_last(cid) if execute else self.memory.get(cid).history[-1]
        if last is None or not last.undo:
            return SkillResult(reply=NOTHING_TO_UNDO[zh])
        return SkillResult(reply=UNDONE[zh], intents=last.undo)


def _llm_key(text: str, home: _Home, area_id: str | None, lang: str, history: list[Exchange]) -> str:
    """Everything the LLM's answer depends on, so a prefetched answer is used only when it fits."""
    turns = [(x.text, x.call.name, sorted(x.call.args.items())) for x in history if x.call is not None]
    return repr((text, id(home), area_id, lang, turns))


def _pick(text: str, choices: tuple[str, ...]) -> str | None:
    """The choice named in an answer to "which one?" ("the desk lamp", "desk", "第一个")."""
    said = words.key(text)
    if not said:
        return None
    ordinals = {"first": 0, "second": 1, "third": 2, "第一个": 0, "第二个": 1, "第三个": 2, "1": 0, "2": 1, "3": 2}
    for w, i in ordinals.items():
        if said.startswith(w) and i < len(choices):
            return choices[i]
    keys = {c: words.key(c) for c in choices}
    exact = [c for c, k in keys.items() if k == said]
    if exact:
        return exact[0]
    toks = set(said.split()) - {"one"}
    partial = [c for c, k in keys.items() if toks and (toks <= set(k.split()) or said in k)]
    return partial[0] if len(partial) == 1 else None
