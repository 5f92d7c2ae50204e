"""The confirmation gate: every sensitive action, whatever path produced it, waits for a spoken
"yes" (and, when configured, a spoken PIN) from a room and node allowed to ask for it.

The gate sits after the skill, on the intents themselves, so a first command, a follow-up
("and the back door too"), an undo and an LLM answer all pass the same check. A "yes" starts the
waiting call again with ``confirmed=True`` (the skill resolves the home afresh: nothing stale
runs); an undo has no call, so its intents run only if confirmed within the follow-up window.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assistant.config import SecurityConfig, read_secret
from assistant.errors import ConfigError
from assistant.home.inventory import Entity, Inventory
from assistant.home.resolve import Resolver
from assistant.intents import Action, Intent
from assistant.skillkit.spec import ToolCall

log = logging.getLogger(__name__)

SENSITIVE_SERVICES = frozenset({
    "lock.unlock", "alarm_control_panel.alarm_disarm", "cover.open_cover", "cover.set_cover_position",
    "cover.toggle", "valve.open_valve", "valve.set_valve_position",
})
"""Services that let someone in or let something out: a skill that may call one declares it
``sensitive`` (a spoken "yes" first, and a much shorter time to live on the way to Home Assistant)."""
SENSITIVE_DOMAINS = frozenset(s.split(".", 1)[0] for s in SENSITIVE_SERVICES) - {"cover"}
"""Domains whose every action is sensitive when no skill declares the service (fallback);
covers only when they are garage doors or gates."""
SENSITIVE_COVER_CLASSES = frozenset({"garage", "gate"})
PIN_MASK = "[PIN]"
"""What a spoken PIN becomes in transcripts, events, logs and the audit log."""
MAX_PIN_FAILURES = 3
LOCKOUT_S = 300.0


def entity_is_sensitive(e: Entity) -> bool:
    """Locks, alarm panels, garage doors and gates (the fallback when no declaration says more)."""
    if e.domain in SENSITIVE_DOMAINS:
        return True
    return e.domain == "cover" and e.attributes.get("device_class") in SENSITIVE_COVER_CLASSES


# -- "yes" -------------------------------------------------------------------------------------

_EN_YES = (
    r"yes|yeah|yea|yep|yup|ya|sure|ok|okay|o\.k|alright|all right|confirm|confirmed|correct|affirmative|"
    r"absolutely|definitely|certainly|right|that's right|that is right|of course|do it|go ahead|go for it|"
    r"please do|i'm sure|i am sure|proceed|you bet|indeed"
)
_EN_SOFT = r"please|thanks|thank you|now|then|hearth|jarvis"
"""Words that may go with a yes but are not one on their own."""
_EN = re.compile(rf"^(?:(?:{_EN_YES}|{_EN_SOFT})\s*)+$")
_EN_ANY_YES = re.compile(rf"(?:^|\s)(?:{_EN_YES})(?:\s|$)")
_ZH_YES = r"是的?|对的?|对啊|好的?|好啊|好吧|确定|确认|可以的?|行|没错|嗯+|没问题|当然|执行|要的?|开吧|做吧"
_ZH_SOFT = r"[啊吧呀啦了呢哦噢]|请|麻烦了|谢谢"
_ZH = re.compile(rf"^(?:{_ZH_YES}|{_ZH_SOFT})+$")
_ZH_ANY_YES = re.compile(_ZH_YES)


def _clean(text: str) -> str:
    t = text.strip().casefold().replace("’", "'")
    t = re.sub(r"[,.!?;:…。！？，、；：~～\"“”]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def is_yes(text: str) -> bool:
    """True only when the whole utterance says yes ("yes please", "好的"); "yeah no", "okay don't",
    "好的不要", "yes but not the front door" are not a yes."""
    t = _clean(text)
    if not t:
        return False
    zh = re.sub(r"\s+", "", t)
    if re.fullmatch(r"[\u4e00-\u9fff]+", zh):
        return bool(_ZH.match(zh)) and bool(_ZH_ANY_YES.search(zh))
    return bool(_EN.match(t)) and bool(_EN_ANY_YES.search(t))


# -- PIN ---------------------------------------------------------------------------------------

_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_ZH_DIGITS = {**{c: str(i) for i, c in enumerate("零一二三四五六七八九")}, "〇": "0", "幺": "1", "两": "2"}


def spoken_digits(text: str) -> str:
    """The digits said in ``text``: "1 2 3 4", "one two three four", "一二三四", "幺两三四"."""
    out = []
    for tok in re.findall(r"[a-z]+|\d|[\u4e00-\u9fff]", text.casefold()):
        if tok.isdigit():
            out.append(tok)
        elif tok in _DIGIT_WORDS:
            out.append(_DIGIT_WORDS[tok])
        elif tok in _ZH_DIGITS:
            out.append(_ZH_DIGITS[tok])
    return "".join(out)


def load_pin(cfg: SecurityConfig) -> str | None:
    """The configured PIN (digits), from ``pin_env`` else the first line of ``pin_file``; None when
    none is configured. A PIN that is not 4-12 digits is a config error (it must be sayable)."""
    pin = (read_secret(cfg.pin_env, cfg.pin_file, "[security] pin_file") or "").strip()
    where = f"${cfg.pin_env}" if cfg.pin_env and os.environ.get(cfg.pin_env) else f"[security] pin_file {cfg.pin_file}"
    if not pin:
        if cfg.pin_env or cfg.pin_file:
            raise ConfigError(f"[security] a PIN is configured but {where} is empty; set it or remove pin_env/pin_file")
        return None
    if not re.fullmatch(r"\d{4,12}", pin):
        raise ConfigError(f"the PIN in {where} must be 4 to 12 digits (it is spoken)")  # never echo it
    return pin


# -- the gate ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pending:
    """A sensitive request waiting for the next utterance."""

    call: ToolCall | None
    """The call to run again with ``confirmed=True``; None for an undo."""
    intents: tuple[Intent, ...] = ()
    """For an undo: the intents to publish once confirmed."""
    stage: str = "yes"
    """``yes`` (waiting for a yes) or ``pin`` (yes said, waiting for the PIN)."""


class Gate:
    """Decides which actions are sensitive and who may confirm them."""

    def __init__(
        self,
        sensitive_services: Iterable[str] = (),
        declared_services: Iterable[str] = (),
        *,
        areas: Iterable[str] = (),
        nodes: Iterable[str] = (),
        node_id: str = "",
        pin: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sensitive_services = frozenset(sensitive_services)
        self.declared_services = frozenset(declared_services)
        self.areas = tuple(areas)
        self.nodes = frozenset(nodes)
        self.node_id = node_id
        self._pin = pin
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    @property
    def needs_pin(self) -> bool:
        return self._pin is not None

    def is_sensitive(self, action: Action, inventory: Inventory) -> bool:
        """Declared sensitive by a skill; or, for a service no skill declares, an action on a lock,
        alarm panel, garage door or gate."""
        e = inventory.entity(action.entity_id) if action.entity_id else None
        if action.service in self.sensitive_services:
            # Opening a blind is not opening a garage door: for covers the device class decides.
            return action.service.split(".", 1)[0] != "cover" or e is None or entity_is_sensitive(e)
        if action.service in self.declared_services:
            return False
        if action.service.split(".", 1)[0] in SENSITIVE_DOMAINS:
            return True
        return e is not None and entity_is_sensitive(e)

    def sensitive(self, intents: Iterable[Intent], inventory: Inventory) -> list[Action]:
        return [a for i in intents for a in i.actions if self.is_sensitive(a, inventory)]

    def allowed_here(self, area_id: str | None, resolver: Resolver) -> bool:
        """Whether this node, in room ``area_id``, may ask for sensitive actions at all."""
        if self.nodes and self.node_id not in self.nodes:
            return False
        if not self.areas:
            return True
        if area_id is None:
            return False
        ids = {(a.id if (a := resolver.area(x)) is not None else x) for x in self.areas}
        return area_id in ids

    def locked_out(self) -> bool:
        return self._clock() < self._locked_until

    def check_pin(self, text: str) -> bool:
        """Compare in constant time; too many wrong PINs lock sensitive actions for a while."""
        if self._pin is None:
            return True
        if self.locked_out():
            return False
        ok = hmac.compare_digest(spoken_digits(text).encode(), self._pin.encode())
        if ok:
            self._failures = 0
        else:
            self._failures += 1
            log.warning("a wrong PIN was given for a sensitive action (%d in a row)", self._failures)
            if self._failures >= MAX_PIN_FAILURES:
                self._locked_until = self._clock() + LOCKOUT_S
                self._failures = 0
                log.warning("sensitive actions are locked for %.0f s after repeated wrong PINs", LOCKOUT_S)
        return ok
