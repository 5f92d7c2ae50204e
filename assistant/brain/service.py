"""The brain: pending questions → follow-ups → template fast path → LLM tool caller → skill.

Every path ends in one validated skill call; a refusal or failure becomes a short spoken reply,
never an exception, so the assistant keeps serving the next request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from assistant import i18n
from assistant.brain import candidates, complaints, compound, followup, mixed, numbers, polarity, slotfill
from assistant.brain.confirm import answer, guard
from assistant.brain.fastpath import FastPath
from assistant.brain.gate import PIN_MASK, Gate, Pending
from assistant.brain.grounding import grounded, said_device
from assistant.brain.llm_base import LlmResult, ToolCaller, Turn
from assistant.brain.memory import Conversation, Exchange, Memory
from assistant.events import Announcement, Broadcast, EventBus, Understood
from assistant.home import words
from assistant.home.inventory import Inventory
from assistant.home.resolve import Resolver
from assistant.i18n.names import failure
from assistant.intents import Understanding
from assistant.skillkit.context import SkillContext
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall, ToolSpec
from assistant.skillkit.timers import Timer, TimerManager

log = logging.getLogger(__name__)

DEVICE_INTENTS = frozenset({"HassTurnOn", "HassTurnOff", "HassToggle", "HassLightSet", "HassSetPosition"})
"""Intents whose unknown device name is worth saying back ("I don't know a device called X")."""


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
        gate: Gate | None = None,
    ) -> None:
        self.registry = registry
        self.gate = gate or Gate(
            (svc for sk in registry for svc in sk.sensitive), (svc for sk in registry for svc in sk.services)
        )
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
        self._sentences = [(re.compile(p), sk.name) for sk in registry for p in sk.sentences]
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
            self.tool_caller.warm(self._llm_tools(), self._home.shown("", None, []))

    # -- voice outside a turn ---------------------------------------------------------------

    def announce(self, text: str, source: str = "", area: str | None = None) -> None:
        if self.bus is not None:
            self.bus.publish(Announcement(text=text, source=source, area=area))
        else:
            log.info("announcement: %s", text)

    def _broadcast(self, text: str, area_id: str | None, language: str, origin: str = "") -> None:
        if self.bus is not None:
            self.bus.publish(Broadcast(text=text, area=area_id or "", language=language, source="broadcast",
                                       origin=origin))
        else:
            log.info("broadcast: %s", text)

    def _timer_done(self, t: Timer) -> None:
        self.announce(t.announcement(), source="timer", area=t.area)  # rings in the room it was set in

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
        area_id = _area_id(self._home, area)
        asked = self.memory.get(conversation_id)
        waiting = asked.confirm is not None or asked.choice is not None  # the words answer a question
        parts = [text] if waiting else self._parts(text, lang, area_id)
        if len(parts) == 1:
            u = self._one(text, area_id, lang, conversation_id, execute, execute)
        else:
            u = self._several(text, parts, area_id, lang, conversation_id, execute)
        u = Understanding(text=u.text, reply=u.reply, intents=u.intents, path=u.path,
                          ms=(time.perf_counter() - t0) * 1000, language=u.language,
                          expects_reply=u.expects_reply, llm_raw=u.llm_raw)
        if execute and self.publish and self.bus is not None:
            self.bus.publish(Understood(run_id=uuid.uuid4().hex[:12], understanding=u, area=area_id or ""))
        return u

    def _parts(self, text: str, lang: str, area_id: str | None) -> list[str]:
        """The commands in ``text``: itself, unless it is several joined by "and" / "然后" …"""
        pieces = compound.split(text)
        if len(pieces) < 2 or self._fast(text, lang, area_id) is not None:
            return [text]
        for n, p in enumerate(pieces):
            if compound.has_verb(p):
                continue
            if n > 0 and (words.is_chinese(p) or len(p.split()) <= 4):
                pieces[n] = compound.as_followup(p)  # "… and the bedroom light"
            elif self._fast(p, lang, area_id) is None:
                return [text]
        return pieces

    def _fast(self, text: str, lang: str, area_id: str | None) -> ToolCall | None:
        """A resolvable template match for ``text`` (as heard, durations and mixed words eased)."""
        if self.fast_path is None:
            return None
        for heard in dict.fromkeys((numbers.durations(text), numbers.durations(mixed.to_chinese(text)))):
            m = self.fast_path.match(heard, language=lang, area=area_id, skills=self._arg_names(),
                                     accept=lambda c: self._resolves(c, area_id))
            if m is not None and (not m.loose or m.resolved):
                return m.call
        return None

    def _several(self, text: str, parts: list[str], area_id: str | None, lang: str, cid: str,
                 execute: bool) -> Understanding:
        """Each command in turn, in a conversation of their own so a verbless one follows the last."""
        sub = f"{cid}\x1f{id(parts)}"
        done = [self._one(p, area_id, lang, sub, execute, True) for p in parts]
        inner = self.memory.get(sub)
        if execute:
            if inner.history:
                self.memory.remember(cid, inner.history[-1])
            if inner.confirm is not None or inner.choice is not None:
                self.memory.ask(cid, confirm=inner.confirm, choice=inner.choice, choices=inner.choices)
        self.memory.forget(sub)
        return compound.combine(text, lang, done, 0.0)

    def _one(self, text: str, area_id: str | None, lang: str, conversation_id: str, execute: bool,
             remember: bool) -> Understanding:
        """One command: pending question → follow-up → templates → LLM → skill."""
        t0 = time.perf_counter()
        home = self._home
        conv = self.memory.get(conversation_id)

        call: ToolCall | None = None
        path = "none"
        confirmed = False
        result: SkillResult | None = None
        asked: Pending | None = None
        said = text  # what the events and the audit log see (a PIN never)

        if conv.confirm is not None:
            pending = conv.confirm
            self.memory.clear_question(conversation_id)
            if pending.stage == "pin":
                said = PIN_MASK
            result, asked = answer(self.gate, pending, text, lang, area_id, home.resolver)
            confirmed = result is None or bool(result.intents)  # go on, or a confirmed undo
            if result is None:
                call = pending.call
            path = "fast"
        elif conv.choice is not None:
            pending, choices = conv.choice, conv.choices
            self.memory.clear_question(conversation_id)
            pick = _pick(text, choices)
            if pick is not None:
                call, path = ToolCall(pending.name, {**pending.args, "name": pick}), "fast"

        if result is None and call is None and conv.history and conv.confirm is None:
            last = conv.history[-1]
            if last.call is not None:
                fu = followup.parse(text, last.call, last.intents, home.resolver)
                if fu is not None and fu.kind == "undo":
                    result = self._undo(conversation_id, lang, execute)
                    path = "fast"
                elif fu is not None and fu.call is not None:
                    call, path = self._fit(fu.call), "fast"

        llm_ask: str | None = None
        llm_raw = ""
        unknown: str | None = None
        if result is None and call is None:
            call = self._sentence(text)
            path = "fast" if call is not None else path
        heard = numbers.durations(text)
        if result is None and call is None and self.fast_path is not None:
            for variant in dict.fromkeys((heard, numbers.durations(mixed.to_chinese(text)))):
                m = self.fast_path.match(
                    variant, language=lang, area=area_id, skills=self._arg_names(),
                    accept=lambda c: self._resolves(c, area_id),
                )
                if m is not None and m.loose and not m.resolved:
                    if m.call.name in DEVICE_INTENTS and unknown is None:
                        unknown = failure(home.resolver.resolve(m.call.args["name"]), lang)
                elif m is not None:
                    call, path, unknown = m.call, "fast", None
                    break
        if mixed.is_mixed(heard):
            heard = mixed.to_chinese(heard)

        if result is None and call is None and self.tool_caller is not None:
            path = "llm"
            try:
                out = self._ask_llm(heard, home, area_id, lang, conv.history)
                call, llm_ask, llm_raw = out.call, out.ask, out.raw
                if call is not None and not grounded(call, heard, home.inventory, area_id, home.resolver.index):
                    fixed = said_device(call, heard, home.inventory, area_id, home.resolver.index)
                    log.info("LLM named a target the user did not say: %s %s; %s", call.name, call.args,
                             f"the device said is {fixed.args['name']!r}" if fixed else "not acting")
                    if fixed is None and any(k in call.args for k in ("name", "area", "domain")):
                        llm_ask = i18n.text("brain.unsure", lang)
                    call = fixed
                if call is not None:
                    skill = self.registry.get(call.name)
                    call = numbers.reconcile(call, heard, skill.spec if skill is not None else None)
                    call = complaints.direct(call, heard)
                    call = polarity.align(call, heard, self._domains(call, area_id))
            except Exception as e:
                log.exception("LLM tool caller failed on %r", text)
                result = SkillResult(reply=i18n.text("brain.not_understood", lang),
                                     error={"code": "llm_failed", "message": str(e)})

        if result is None and call is not None:
            ctx = SkillContext(
                inventory=home.inventory, resolver=home.resolver, timers=self.timers,
                settings=self.settings, announce=self.announce, area=area_id, language=lang,
                dry_run=not execute, confirmed=confirmed, **self._wall(),
                broadcast=lambda message: self._broadcast(message, area_id, lang, conversation_id),
            )
            result = slotfill.with_areas(self.registry.invoke(call, ctx), ctx)
            if result.error:
                log.info("skill %s refused %s: %s", call.name, call.args, result.error)
        if result is not None and asked is None and not confirmed:
            result, asked = guard(self.gate, result, call, lang, area_id, home.inventory, home.resolver)
        if result is None:
            if llm_ask:
                result = SkillResult(reply=llm_ask, expects_reply=True)
            elif unknown:
                result = SkillResult(reply=unknown)
                path = "none"
            else:
                result = SkillResult(reply=i18n.text("brain.off_topic" if self.tool_caller else
                                                     "brain.not_understood", lang))
                path = "none"

        if remember:
            self._remember(conversation_id, said, call, result, asked)  # a PIN is never kept
        return Understanding(
            text=said, reply=result.reply, intents=result.intents, path=path,
            ms=(time.perf_counter() - t0) * 1000, language=lang, expects_reply=result.expects_reply,
            llm_raw=llm_raw,
        )

    def expects_secret(self, conversation_id: str = "default") -> bool:
        """The next utterance is a PIN: transcripts of it must be masked before anyone sees them."""
        pending = self.memory.get(conversation_id).confirm
        return pending is not None and pending.stage == "pin"

    # -- the LLM, possibly started early -------------------------------------------------------

    def understands(self, text: str, *, area: str | None = None, language: str = "en",
                    conversation_id: str = "default") -> bool:
        """True when the words need no LLM: an answer to a pending question, a follow-up, a skill's
        own sentence, or templates whose devices exist here. Cheap (no LLM, acts on nothing), so
        speech-to-text can ask it before spending a second model on a transcript."""
        if not text.strip():
            return False
        lang = self._language(language, text)
        home = self._home
        area_id = _area_id(home, area)
        if self._continues(text, self.memory.get(conversation_id), home):
            return True
        return all(self._sentence(p) is not None or self._fast(p, lang, area_id) is not None
                   for p in self._parts(text, lang, area_id))

    @staticmethod
    def _continues(text: str, conv: Conversation, home: _Home) -> bool:
        """The words answer a pending question or follow up the last command: no LLM needed."""
        if conv.confirm is not None or conv.choice is not None:
            return True
        last = conv.history[-1] if conv.history else None
        return (last is not None and last.call is not None
                and followup.parse(text, last.call, last.intents, home.resolver) is not None)

    def prefetch(
        self,
        text: str,
        *,
        area: str | None = None,
        language: str = "en",
        conversation_id: str = "default",
        stop: Callable[[], bool] | None = None,
    ) -> bool | None:
        """Start the LLM on a likely final transcript while the end-of-speech timeout still runs,
        so that :meth:`understand` of the same words finds the answer ready (or nearly). Acts on
        nothing and remembers nothing; words the templates or a follow-up handle are skipped.

        Returns True when the words make a whole command (an answer to a pending question, a
        follow-up, a template matched with every slot, or an LLM call grounded in the words),
        False when the LLM found no such call, None when unknown (no LLM, or stopped)."""
        if not text.strip():
            return None
        lang = self._language(language, text)
        home = self._home
        area_id = _area_id(home, area)
        conv = self.memory.get(conversation_id)
        if conv.confirm is not None and conv.confirm.stage == "pin":
            return None  # digits come with pauses between them: never end a PIN early
        if self._continues(text, conv, home):
            return True
        if self._sentence(text) is not None:
            return True
        if self.fast_path is not None:
            m = self.fast_path.match(
                text, language=lang, area=area_id, skills=self._arg_names(),
                accept=lambda c: self._resolves(c, area_id),
            )
            if m is not None and not m.loose:
                return True
            if m is not None and m.resolved:
                return None  # a loose match guessed at its device name: the templates take it
            # A loose match whose name this home lacks falls to the LLM when the turn ends: start it.
        if self.tool_caller is None or len(self._parts(text, lang, area_id)) > 1:
            return None  # several commands: each is understood when the turn ends
        key = _llm_key(text, home, area_id, lang, conv.history)
        pending: Future[LlmResult | None] = Future()
        with self._prefetch_lock:
            if key in self._prefetched:  # the same words again: the same verdict
                done = self._prefetched[key][1]
                out0 = done.result() if done.done() and done.exception() is None else None
                return None if out0 is None else self._whole(out0, text, home, area_id)
            self._prefetched = {key: (home, pending)}  # only the latest guess; home kept so its id stays unique
        try:
            out: LlmResult | None = self.tool_caller.call(
                text, tools=self._llm_tools(), inventory=home.shown(text, area_id, conv.history),
                area=area_id, language=lang,
                history=[Turn(x.text, x.call) for x in conv.history], stop=stop,
            )
            out = None if stop is not None and stop() else out
            pending.set_result(out)
        except Exception as e:
            pending.set_exception(e)
            return None
        return None if out is None else self._whole(out, text, home, area_id)

    @staticmethod
    def _whole(out: LlmResult, text: str, home: _Home, area_id: str | None) -> bool:
        """An LLM answer makes a whole command when it is a call whose targets the user named."""
        return out.call is not None and grounded(out.call, text, home.inventory, area_id, home.resolver.index)

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
            text, tools=self._llm_tools(), inventory=home.shown(text, area_id, history),
            area=area_id, language=lang,
            history=[Turn(x.text, x.call) for x in history],
        )

    def _llm_tools(self) -> list[ToolSpec]:
        return [sk.spec for sk in self.registry if sk.llm]

    def _sentence(self, text: str) -> ToolCall | None:
        """A skill's own fixed sentence ("forget what I said today"), before the templates."""
        t = re.sub(r"[\s,.!?。！？，]+$", "", text.strip().casefold().replace("’", "'"))
        for pat, name in self._sentences:
            m = pat.fullmatch(t)
            if m:
                return self._fit(ToolCall(name, {k: v for k, v in m.groupdict().items() if v is not None}))
        return None

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

    def _domains(self, call: ToolCall, area_id: str | None) -> set[str]:
        """The domains of the devices a call targets: its ``domain``, and those its ``name`` stands
        for here (:meth:`_resolves`); empty when it names neither."""
        out = {d} if isinstance(d := call.args.get("domain"), str) else set()
        name = call.args.get("name")
        if isinstance(name, str) and name.strip():
            out |= self._resolves(call, area_id) or set()
        return out

    def _wall(self) -> dict[str, Any]:
        return {"clock": self._wall_clock} if self._wall_clock is not None else {}

    def _language(self, language: str, text: str) -> str:
        """``en``/``zh``; Chinese script always means Chinese (an English command has none)."""
        if words.is_chinese(text):
            return "zh"
        lang = (language or self.default_language).split("-")[0].lower()
        return lang if lang in ("en", "zh") else "en"

    def _remember(self, cid: str, text: str, call: ToolCall | None, result: SkillResult,
                  asked: Pending | None) -> None:
        if asked is not None:
            self.memory.ask(cid, confirm=asked)
        elif result.choices and call is not None:
            self.memory.ask(cid, choice=call, choices=result.choices)
        if call is not None and result.intents and not result.error:
            self.memory.remember(cid, Exchange(text, call, result.intents, result.undo, self._clock()))

    def _undo(self, cid: str, lang: str, execute: bool) -> SkillResult:
        last = self.memory.pop_last(cid) if execute else self.memory.get(cid).history[-1]
        if last is None or not last.undo:
            return SkillResult(reply=i18n.text("brain.nothing_to_undo", lang))
        return SkillResult(reply=i18n.text("brain.undone", lang), intents=last.undo)


def _area_id(home: _Home, area: str | None) -> str | None:
    """The id of the speaker's area as the home knows it (a name, alias or id), else None."""
    where = home.resolver.area(area) if area else None
    return where.id if where else None


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
