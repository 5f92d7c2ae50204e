"""Grounding: a device, area or floor the LLM names must be one the user said (or the room they are in).

A small model asked about an attic the home does not have happily picks a room it knows; chatter
that mentions "light" becomes a light command. Checking that each named target shares a word with
the utterance (or the speaker's room) keeps such guesses from ever touching a device.
"""

from __future__ import annotations

import difflib
import re

from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+")
MIN_RATIO = 0.8
"""How close two words must be to count as the same (transcription slips: "lite" ~ "light")."""


def _words(text: str) -> set[str]:
    return {w.removesuffix("s") if len(w) > 3 else w for w in _WORD.findall(text.casefold())}


def _said(form: str, text: str, words: set[str]) -> bool:
    """True when ``form`` (a name or alias) appears in the utterance, allowing small slips."""
    form_cf = form.casefold()
    if _CJK.search(form_cf):
        cjk = "".join(_CJK.findall(form_cf))
        return cjk in text or any(cjk[i : i + 2] in text for i in range(len(cjk) - 1))
    for w in _words(form_cf):
        if len(w) < 3:
            continue
        if w in words or difflib.get_close_matches(w, list(words), n=1, cutoff=MIN_RATIO):
            return True
    return False


def _forms(value: str, inventory: Inventory, key: str) -> list[str]:
    """Every surface form of the area / floor / device the LLM named (its own spelling included)."""
    v = value.casefold()
    forms = [value]
    if key == "area":
        for a in inventory.areas:
            names = [a.name, a.id, *a.aliases]
            if v in (n.casefold() for n in names):
                forms += names
    elif key == "floor":
        forms += [a.floor for a in inventory.areas if a.floor and a.floor.casefold() == v]
    else:
        for e in inventory.entities:
            names = [e.name, *e.aliases]
            if v in (n.casefold() for n in names):
                forms += names
    return forms


def grounded(call: ToolCall, text: str, inventory: Inventory, speaker_area: str | None) -> bool:
    """Whether every name, area and floor in ``call`` was said (the speaker's room counts as said)."""
    context = text.casefold()
    here = inventory.area(speaker_area) if speaker_area else None
    if here is not None:
        context += " " + " ".join([here.name, here.id, *here.aliases]).casefold()
    words = _words(context)
    for key in ("name", "area", "floor"):
        value = call.args.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        if not any(_said(f, context, words) for f in _forms(value, inventory, key)):
            return False
    return True
