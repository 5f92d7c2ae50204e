"""Synthetic training and held-out examples: made-up homes, utterances in English and Chinese, target calls.

Deterministic for a seed. The held-out split draws homes, names and phrasing families from pools
the training split never sees (:func:`assistant.train.pools.split`). Targets name devices and
areas exactly as the inventory spells them and copy amounts as spoken; prompts are rendered with
the run-time :mod:`assistant.brain.prompt`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.brain import candidates, prompt
from assistant.brain.llm_base import Turn
from assistant.home.index import NameIndex
from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall, ToolSpec
from assistant.train import noise, pools
from assistant.train.homes import grow, make_home
from assistant.train.phrases import AMBIGUOUS, ASK, CHATTER, FOLLOW, TEMPLATES, Template
from assistant.train.targets import Filler, NoTarget
from assistant.train.tools import training_tools

KIND_TOOL = {
    "on": "HassTurnOn", "off": "HassTurnOff", "open": "HassTurnOn", "close": "HassTurnOff",
    "lock": "HassTurnOn", "unlock": "HassTurnOff", "toggle": "HassToggle", "dark": "HassTurnOn",
    "bright": "HassTurnOff", "brightness": "HassLightSet", "color": "HassLightSet",
    "kelvin": "HassLightSet", "clim_set": "HassClimateSetTemperature",
    "clim_get": "HassClimateGetTemperature", "position": "HassSetPosition",
    "state_on": "HassGetState", "state_cover": "HassGetState", "state_lock": "HassGetState",
    "state_any": "HassGetState", "state_list": "HassGetState", "pause": "HassMediaPause",
    "unpause": "HassMediaUnpause", "next": "HassMediaNext", "prev": "HassMediaPrevious",
    "volume": "HassSetVolume", "tstart": "HassStartTimer", "tcancel": "HassCancelTimer",
    "tcancelall": "HassCancelAllTimers", "shopdone": "HassShoppingListCompleteItem",
    "tpause": "HassPauseTimer", "tunpause": "HassUnpauseTimer", "tstatus": "HassTimerStatus",
    "tinc": "HassIncreaseTimer", "tdec": "HassDecreaseTimer", "time": "HassGetCurrentTime",
    "date": "HassGetCurrentDate", "weather": "HassGetWeather", "shop": "HassShoppingListAddItem",
    "ladd": "HassListAddItem", "ldone": "HassListCompleteItem", "vstart": "HassVacuumStart",
    "vreturn": "HassVacuumReturnToBase", "never": "HassNevermind", "vstop": "HassVacuumStop",
    "mute": "HassMediaPlayerMute", "unmute": "HassMediaPlayerUnmute", "play": "HassMediaSearchAndPlay",
    "bcast": "HassBroadcast", "respond": "HassRespond",
}
WEIGHTS = {
    "on": 10, "off": 10, "open": 3, "close": 3, "lock": 2, "unlock": 1.5, "toggle": 1.5, "dark": 2,
    "bright": 2, "brightness": 4, "color": 3, "kelvin": 2, "clim_set": 3, "clim_get": 2.5,
    "position": 2.5, "state_on": 2, "state_cover": 1.5, "state_lock": 1.5, "state_any": 1.5,
    "state_list": 2, "pause": 1.5, "unpause": 1.5, "next": 1.5, "prev": 1.5, "volume": 2.5,
    "tstart": 5, "tcancel": 2, "tcancelall": 1, "shopdone": 1.5, "tpause": 1, "tunpause": 1,
    "tstatus": 1.5, "tinc": 1.5, "tdec": 1.5,
    "time": 1.5, "date": 1.5, "weather": 2.5, "shop": 3, "ladd": 2, "ldone": 2, "vstart": 2,
    "vreturn": 1.5, "never": 1.5, "follow": 12, "ask": 8, "chatter": 15, "vstop": 1.5, "mute": 1.5,
    "unmute": 1.5, "play": 2, "bcast": 1.5, "respond": 1.5,
}
TOOLS = {t.name: t for t in training_tools()}
GROWN_SHARE = 0.3
"""English homes grown to tens, hundreds or a thousand devices with confusable names."""
_indexes: dict[int, tuple[Inventory, NameIndex]] = {}


def _index(inv: Inventory) -> NameIndex:
    """One name index per home (a home yields several examples); the last few are kept."""
    hit = _indexes.get(id(inv))
    if hit is None or hit[0] is not inv:
        if len(_indexes) > 16:
            _indexes.clear()
        hit = _indexes[id(inv)] = (inv, NameIndex(inv))
    return hit[1]


@dataclass(frozen=True, slots=True)
class Example:
    """One utterance in one home with its target: a call, a question back, or nothing."""

    text: str
    inventory: Inventory
    language: str
    kind: str
    """Template key (``on``, ``tstart`` …), ``follow``, ``ask`` or ``chatter``."""
    call: ToolCall | None = None
    ask: str | None = None
    area: str | None = None
    """Speaker's area id."""
    history: tuple[Turn, ...] = ()

    @property
    def skill(self) -> str:
        return self.call.name if self.call else ("ask" if self.ask else "none")

    def shown(self) -> Inventory:
        """What the model sees of the home: the run-time candidate retrieval for these words."""
        return candidates.select(_index(self.inventory), self.text, self.area, [t.text for t in self.history])

    def prompt(self, tools: Sequence[ToolSpec] | None = None) -> str:
        return prompt.render(self.text, tools=tools or tuple(TOOLS.values()), inventory=self.shown(), area=self.area,
                             history=self.history)

    def completion(self) -> str:
        return prompt.completion(self.call, self.ask)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text, "language": self.language, "kind": self.kind, "area": self.area,
            "skill": self.skill, "call": self.call.as_dict() if self.call else None, "ask": self.ask,
            "history": [{"text": t.text, "call": t.call.as_dict() if t.call else None}
                        for t in self.history],
            "inventory": self.inventory.to_dict(),
        }


def _ordered(tool: str, args: dict[str, Any]) -> ToolCall:
    props = list(TOOLS[tool].parameters.get("properties", {}))
    return ToolCall(tool, {k: args[k] for k in props if k in args})


class Generator:
    """Draws examples for one split (``train`` or ``heldout``) from one seeded random stream."""

    def __init__(self, seed: int, part: str) -> None:
        self.rng = random.Random(f"{seed}:{part}")
        self.part = part
        self.templates = {lang: {k: pools.split(v, part) for k, v in t.items()}
                          for lang, t in TEMPLATES.items()}
        self.chatter = {lang: pools.split(v, part) for lang, v in CHATTER.items()}

    def examples(self, n: int) -> Iterator[Example]:
        kinds = list(WEIGHTS)
        weights = list(WEIGHTS.values())
        made = 0
        while made < n:
            lang = "zh" if self.rng.random() < 0.4 else "en"
            home = make_home(self.rng, lang, self.part)
            if lang == "en" and self.rng.random() < GROWN_SHARE:
                home = grow(home, self.rng, self.part)
            room = self._room(home)
            for _ in range(self.rng.randint(3, 6)):
                kind = self.rng.choices(kinds, weights)[0]
                try:
                    ex = self._one(kind, home, lang, room)
                except NoTarget:
                    continue
                yield ex
                made += 1
                if made >= n:
                    return

    def _room(self, home: Inventory) -> str | None:
        return self.rng.choice(home.areas).id if home.areas and self.rng.random() < 0.6 else None

    def _one(self, kind: str, home: Inventory, lang: str, room: str | None) -> Example:
        if kind == "chatter":
            text = noise.whisperish(self.rng, self.rng.choice(self.chatter[lang]), lang, slips=False)
            return Example(text, home, lang, kind, area=room, history=self._maybe_history(home, lang))
        if kind == "follow":
            return self._follow(home, lang, room)
        if kind == "ask":
            return self._ask(home, lang, room)
        text, call = self.command(kind, home, lang, room)
        return Example(text, home, lang, kind, call, area=room,
                       history=self._maybe_history(home, lang))

    def command(self, kind: str, home: Inventory, lang: str, room: str | None,
                template: Template | None = None) -> tuple[str, ToolCall]:
        """Fill one template of ``kind``: the spoken text and the call it means."""
        filler = Filler(self.rng, home, lang, room, self.part, kind)
        tpl = template if template is not None else self.rng.choice(self.templates[lang][kind])
        text, extra = (tpl, {}) if isinstance(tpl, str) else tpl
        if text.startswith("@"):
            if room is None:
                raise NoTarget
            text = text[1:]
            filler.args["area"] = filler.room_name
            if kind in ("dark", "bright"):
                filler.args["domain"] = "light"
        text = filler.fill(text)
        args = {**filler.args, **extra}
        return noise.whisperish(self.rng, text, lang, protect=filler.verbatim), _ordered(KIND_TOOL[kind], args)

    def _maybe_history(self, home: Inventory, lang: str) -> tuple[Turn, ...]:
        if self.rng.random() > 0.12:
            return ()
        try:
            text, call = self.command(self.rng.choice(("on", "off", "tstart", "weather")), home, lang, None)
        except NoTarget:
            return ()
        return (Turn(text, call),)

    def _follow(self, home: Inventory, lang: str, room: str | None) -> Example:
        prev_kind = self.rng.choice(("on", "off", "on", "off", "brightness"))
        prev_text, prev = self.command(prev_kind, home, lang, None)
        follow = FOLLOW[lang]
        filler = Filler(self.rng, home, lang, room, self.part, prev_kind)
        args = dict(prev.args)
        mode = self.rng.choice(("area", "name", "undo", "dim"))
        if mode == "area" and "area" in args and "name" not in args:
            tpl = self.rng.choice(pools.split(follow["area"], self.part))
            spoken, area = filler.other_area(str(args["area"]), args.get("domain"))
            text, call = tpl.format(a=spoken), _ordered(prev.name, {**args, "area": area})
        elif mode == "name" and "name" in args:
            tpl = self.rng.choice(pools.split(follow["name"], self.part))
            spoken, name = filler.other_name(str(args["name"]))
            keep = {k: v for k, v in args.items() if k not in ("name", "area")}
            text, call = tpl.format(t=spoken), _ordered(prev.name, {**keep, "name": name})
        elif mode == "undo" and prev.name in ("HassTurnOn", "HassTurnOff"):
            key = "undo_off" if prev.name == "HassTurnOn" else "undo_on"
            tool = "HassTurnOff" if prev.name == "HassTurnOn" else "HassTurnOn"
            text = self.rng.choice(pools.split(follow[key], self.part))
            call = _ordered(tool, args)
        elif mode == "dim" and "name" in args and str(args["name"]) in filler.names("light"):
            n = filler.number("brightness")
            text = self.rng.choice(pools.split(follow["dim"], self.part)).format(n=n)
            call = _ordered("HassLightSet", {"name": args["name"], "brightness": n})
        else:
            raise NoTarget
        text = noise.whisperish(self.rng, text, lang)
        return Example(text, home, lang, "follow", call, area=room, history=(Turn(prev_text, prev),))

    def _ask(self, home: Inventory, lang: str, room: str | None) -> Example:
        amb = AMBIGUOUS[lang]
        asks = ASK[lang]
        filler = Filler(self.rng, home, lang, room, self.part, "on")
        mode = self.rng.choice(("pronoun", "timer", "item", "generic", "unknown", "unknown", "near"))
        if mode == "pronoun":
            tpl, verb = self.rng.choice(pools.split(amb["pronoun"], self.part))
            text, ask = tpl.format(n=filler.number("brightness")), asks["what"].format(verb=verb)
        elif mode == "timer":
            text, ask = self.rng.choice(pools.split(amb["timer"], self.part)), asks["howlong"]
        elif mode == "item":
            text, ask = self.rng.choice(pools.split(amb["item"], self.part)), asks["item"]
        elif mode == "generic":
            generic, options = filler.ambiguous_generic()
            sep = "还是" if lang == "zh" else " or "
            text = self.rng.choice(pools.split(amb["generic_on"], self.part)).format(g=generic)
            ask = asks["which"].format(g=generic, opts=sep.join(options[:3]))
        elif mode == "near":
            # The other half of a confusable pair, which this home lacks ("… Ceiling Light" beside
            # "… Ceiling Fan"): ask, never pick the neighbour.
            unknown = _near_miss(home, self.rng)
            text = self.rng.choice(pools.split(amb["unknown_on"], self.part)).format(x=unknown)
            ask = asks["unknown"].format(x=unknown)
        else:
            unknown = self.rng.choice(pools.split(pools.UNKNOWN_DEVICES[lang], self.part))
            if any(unknown.casefold() in e.name.casefold() for e in home.entities):
                raise NoTarget
            text = self.rng.choice(pools.split(amb["unknown_on"], self.part)).format(x=unknown)
            ask = asks["unknown"].format(x=unknown)
        text = noise.whisperish(self.rng, text, lang, protect=())
        return Example(text, home, lang, "ask", None, ask=ask, area=room)


def _near_miss(home: Inventory, rng: random.Random) -> str:
    """A name one word or number away from a device of the home that the home does not have."""
    names = {e.name.casefold() for e in home.entities}
    swaps = (("Ceiling Fan", "Ceiling Light"), ("Ceiling Light", "Ceiling Fan"), ("Fan 2", "Fan 3"),
             ("Fan", "Fan 2"), ("Lamp", "Lamp 2"))
    misses = [e.name[: -len(have)] + want for e in home.entities for have, want in swaps
              if e.name.endswith(" " + have) and (e.name[: -len(have)] + want).casefold() not in names]
    if not misses:
        raise NoTarget
    return rng.choice(misses)


def generate(part: str, n: int, seed: int = 1234) -> list[Example]:
    """``n`` examples of split ``part`` (``train`` or ``heldout``), the same list for the same seed."""
    if part not in ("train", "heldout"):
        raise ValueError(f"unknown split {part!r}: use 'train' or 'heldout'")
    return list(Generator(seed, part).examples(n))


def template_families(part: str) -> set[str]:
    """Every phrasing template of a split, for disjointness checks."""
    fams: set[str] = set()
    for lang, table in TEMPLATES.items():
        for key, items in table.items():
            for t in pools.split(items, part):
                fams.add(f"{lang}:{key}:{t if isinstance(t, str) else t[0]}")
    return fams

