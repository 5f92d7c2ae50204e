"""Grounding: a device, area or floor the LLM names must be one the user said (or the room they are in).

A small model asked about an attic the home does not have happily picks a room it knows; chatter
that mentions "light" becomes a light command; asked for "the office ceiling light" in a home with
only an office ceiling *fan*, it names the fan. Each named target must therefore be said closely
enough: every distinguishing word of the device's name said (slips allowed, numbers exact), no
other kind of device said, and no more specific name said ("fan 2" is not "Fan"). A call for a
whole area must not drop words that single out some of its devices. Otherwise nothing is done
and the user is asked, never a wrong device switched.
"""

from __future__ import annotations

import difflib
import itertools
import re

from assistant.brain.candidates import areas_said
from assistant.home import words
from assistant.home.index import NameIndex
from assistant.home.inventory import Area, Entity, Inventory
from assistant.skillkit.spec import ToolCall

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+")
MIN_RATIO = 0.8
"""How close two words must be to count as the same (transcription slips: "lite" ~ "light")."""
VERBS = frozenset({"switch", "turn", "set", "put"})
"""Kind words that are verbs unless they end a phrase ("switch it on" vs "the porch switch")."""
STOP = frozenset({
    "turn", "switch", "set", "put", "make", "get", "open", "close", "start", "stop", "dim", "please",
    "can", "you", "could", "would", "the", "and", "then", "off", "into", "onto", "for", "with",
    "what", "how", "is", "are", "too", "very", "bit", "little", "going", "again", "now",
})
"""Words of commands, not of names: never taken to single out a device."""


def _words(text: str) -> set[str]:
    return {w.removesuffix("s") if len(w) > 3 else w for w in _WORD.findall(text.casefold())}


def _said(form: str, text: str, words_: set[str]) -> bool:
    """True when ``form`` (a name or alias) appears in the utterance, allowing small slips."""
    form_cf = form.casefold()
    if _CJK.search(form_cf):
        cjk = "".join(_CJK.findall(form_cf))
        return cjk in text or any(cjk[i : i + 2] in text for i in range(len(cjk) - 1))
    form_words = _words(form_cf)
    if len(form_words) == 1 and len(next(iter(form_words))) < 3:
        return form_words <= words_  # a name of one short word ("TV", "AC"): said exactly, no slips
    for w in form_words:
        if len(w) < 3:
            continue
        if w in words_ or difflib.get_close_matches(w, list(words_), n=1, cutoff=MIN_RATIO):
            return True
    return False


def _forms(value: str, inventory: Inventory, index: NameIndex, key: str) -> list[str]:
    """Every surface form of the area / floor / device the LLM named (its own spelling included)."""
    forms = [value]
    if key == "area":
        a = inventory.area(value) or index.area_by_key.get(words.key(value))
        if a is not None:
            forms += [a.name, a.id, *a.aliases]
    elif key == "floor":
        forms += [a.floor for a in index.areas_by_floor.get(words.key(value).replace(" floor", "").strip(), [])
                  if a.floor]
    else:
        for e in index.by_key.get(words.key(value), ()):
            forms += [e.name, *e.aliases]
    return forms


def grounded(call: ToolCall, text: str, inventory: Inventory, speaker_area: str | None,
             index: NameIndex | None = None) -> bool:
    """Whether every name, area and floor in ``call`` was said (the speaker's room counts as said)
    closely enough to mean that target and no other."""
    index = index if index is not None else NameIndex(inventory)
    context = text.casefold()
    here = inventory.area(speaker_area) if speaker_area else None
    if here is not None:
        context += " " + " ".join([here.name, here.id, *here.aliases]).casefold()
    ctx_words = _words(context)
    for key in ("name", "area", "floor"):
        value = call.args.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        if not any(_said(f, context, ctx_words) for f in _forms(value, inventory, index, key)):
            return False
    name = call.args.get("name")
    said = _spoken(text)
    if isinstance(name, str) and name.strip():
        named = index.by_key.get(words.key(name), ())
        if named and not any(_names(e, said, here, index) for e in named):
            return False
    elif call.args.get("area") or call.args.get("domain") or call.args.get("device_class"):
        if here is None and not call.args.get("area") and not call.args.get("floor") and not _kind_said(call, text):
            return False  # every light of the home, for words that never named lights ("the dishwasher")
        if call.args.get("domain") and _garbled_kind(said, call.args.get("area")):
            return False  # "open the living room lines": an unknown word where the kind belongs
        return not _singles_out(call, said, here, index)
    return True


def _qualifies_otherwise(a: str, b: str, own: set[str], joined: str, room_words: set[str]) -> bool:
    """``a`` stands right before a kind word ``b`` ("mid side lamp") and is neither in this device's
    name, nor its room's, nor a common word."""
    if words.singular(b) not in words.DOMAIN_WORDS or len(a) <= 2 or a.isdigit():
        return False
    if a in own or a in room_words or a in STOP or a in VERBS or a in words.DOMAIN_WORDS:
        return False
    return not _close(a, own, joined)


def _kind_said(call: ToolCall, text: str) -> bool:
    """The words name the call's kind of device ("all the lights", "把灯都关了") or its class."""
    domain, device_class = call.args.get("domain"), call.args.get("device_class")
    k = words.key(text)
    if words.is_chinese(k):
        return any(w in k and (d == domain or (device_class and words.device_class_of_word(w) == device_class))
                   for w, d in words.DOMAIN_WORDS.items() if words.is_chinese(w))
    toks = [words.singular(t) for t in k.split()]
    spans = toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)]
    return any(words.domain_of_word(t) == domain or (device_class and words.device_class_of_word(t) == device_class)
               for t in spans if t)


def _garbled_kind(said: str, area: object) -> bool:
    """The room is followed by a word that is no kind of device ("the living room lines"): the
    kind the LLM chose was guessed, not said. "It's too dark in the office" names no kind and is fine."""
    if not isinstance(area, str) or words.is_chinese(said):
        return False
    room, toks = words.key(area).split(), said.split()
    for i in range(len(toks) - len(room)):
        if toks[i:i + len(room)] == room:
            nxt = toks[i + len(room)]
            pair = f"{nxt} {toks[i + len(room) + 1]}" if i + len(room) + 1 < len(toks) else ""
            if nxt not in STOP and len(nxt) > 2 and words.singular(nxt) not in words.DOMAIN_WORDS \
                    and pair not in words.DOMAIN_WORDS:
                return True
    return False


def _spoken(text: str) -> str:
    """The utterance as a key, without kind words used as verbs ("switch off …")."""
    toks = words.key(text).split()
    keep = [t for i, t in enumerate(toks)
            if not (t in VERBS and i + 1 < len(toks) and toks[i + 1] not in ("in", "at", "and", "of", "to"))]
    return " ".join(keep)


def _close(w: str, toks: set[str], joined: str) -> bool:
    if w in toks:
        return True
    if w.isdigit():
        return False
    if len(w) >= 3 and w in joined:
        return True
    return any(not t.isdigit() and difflib.SequenceMatcher(None, w, t).ratio() >= MIN_RATIO for t in toks)


def _names(e: Entity, said: str, here: Area | None, index: NameIndex) -> bool:
    """Whether the words ``said`` name ``e``: see the module docstring."""
    here_keys = [words.key(n) for n in ((here.name, here.id.replace("_", " "), *here.aliases) if here else ())]
    keys = index.keys_of.get(e.entity_id, [])
    if _other_kind(e, said, keys):
        return False
    if words.is_chinese(said):
        flat = said.replace(" ", "")
        return any(_zh_said(k, flat, here_keys) for k in keys) and not _more_specific_zh(e, flat, keys, index)
    toks = set(said.split()) | {t for h in here_keys for t in h.split()}
    own = {t for k in keys for t in k.split()}
    if any(t.isdigit() and t not in toks for t in own):
        return False  # "Fan 2" needs its number said
    seq = said.split()
    if any(a in own and b.isdigit() and b not in own for a, b in itertools.pairwise(seq)):
        return False  # "fan 3" said, "Fan" named
    area = index.inventory.area(e.area)
    area_words = {t for n in ((area.name, area.id.replace("_", " "), *area.aliases) if area else ())
                  for t in words.key(n).split()}
    joined = "".join(sorted(own))
    if any(_qualifies_otherwise(a, b, own, joined, area_words | toks - set(seq)) for a, b in itertools.pairwise(seq)):
        return False  # "the mid-side lamp": a word that qualifies the kind and is not in this name
    for w in said.split():
        if w in own or len(w) <= 2 or w.isdigit() or w in STOP or w in words.DOMAIN_WORDS or w in area_words:
            continue
        if (w in index.by_word or w in words.QUALIFIER_WORDS) and not _close(w, own, joined):
            return False  # a word that singles out some other device ("ceiling", "guest")
    whole = any(set(k.split()) <= toks for k in keys)
    if not whole and _other_said_whole(e, toks, index):
        return False  # "the playroom fan" said, "Playroom Ceiling Fan" named
    rooms = areas_said(index, said)[0]
    if not whole and rooms and e.area not in rooms and (here is None or e.area != here.id):
        return False  # "the study ceiling light" said, "Upstairs Study Ceiling Light" named
    return not _more_specific(e, said, toks, keys, index)


MAX_POSTING = 400
"""Postings longer than this are not searched for a name said whole (its rarer words are)."""


def _other_said_whole(e: Entity, toks: set[str], index: NameIndex) -> bool:
    """Whether another device's whole name (every word of it) was said."""
    for t in toks:
        posting = index.by_word.get(t, ())
        if len(posting) > MAX_POSTING:
            continue
        for other in posting:
            if other.entity_id != e.entity_id and any(
                set(k.split()) <= toks for k in index.keys_of.get(other.entity_id, ())
            ):
                return True
    return False


def _other_kind(e: Entity, said: str, keys: list[str]) -> bool:
    """A kind of device was said that ``e`` is not ("light" for a fan)."""
    own = {w for k in keys for w in words.kind_words(k)}
    return any(w not in own and words.DOMAIN_WORDS.get(w) != e.domain and w != "music"
               for w in words.kind_words(said))


def _more_specific(e: Entity, said: str, toks: set[str], keys: list[str], index: NameIndex) -> bool:
    """Another device has a longer name of which every word was said ("fan 2" said, "Fan" named)."""
    for k in keys:
        base = set(k.split())
        for extra in set(said.split()) - base:
            for other in index.entities_with_words(base | {extra}):
                if other.entity_id == e.entity_id:
                    continue
                for ok_ in index.keys_of.get(other.entity_id, ()):
                    ot = set(ok_.split())
                    if ot > base and ot <= toks:
                        return True
    return False


def _zh_said(k: str, flat: str, here_keys: list[str]) -> bool:
    """A Chinese name is said when what is left after its room and kind words is in the text
    (or sounds like a part of it: homophone slips)."""
    rest = k.replace(" ", "")
    for h in here_keys:
        if h and rest.startswith(h.replace(" ", "")):
            rest = rest[len(h.replace(" ", "")):]
    for w in sorted(words.kind_words(rest), key=len, reverse=True):
        rest = rest.replace(w, "")
    if not rest or rest in flat:
        return True
    target = words.pinyin(rest)
    n = len(rest)
    return any(difflib.SequenceMatcher(None, target, words.pinyin(flat[i : i + n])).ratio() >= MIN_RATIO
               for i in range(max(1, len(flat) - n + 1)))


def _more_specific_zh(e: Entity, flat: str, keys: list[str], index: NameIndex) -> bool:
    for k in keys:
        base = k.replace(" ", "")
        for other in index.entities_with_words(set(base))[:200]:
            if other.entity_id == e.entity_id:
                continue
            for ok_ in index.keys_of.get(other.entity_id, ()):
                o = ok_.replace(" ", "")
                if o != base and base in o and o in flat:
                    return True
    return False


def _singles_out(call: ToolCall, said: str, here: Area | None, index: NameIndex) -> bool:
    """An area- or kind-wide call, when the words name only some of those devices ("the office
    ceiling light" is not every light in the office)."""
    if words.is_chinese(said):
        return False
    area_ids = set()
    value = call.args.get("area")
    a = index.inventory.area(value) or index.area_by_key.get(words.key(value)) if isinstance(value, str) else None
    if a is not None:
        area_ids.add(a.id)
    elif here is not None:
        area_ids.add(here.id)
    area_words = {t for a_ in index.inventory.areas if a_.id in area_ids
                  for n in (a_.name, a_.id.replace("_", " "), *a_.aliases) for t in words.key(n).split()}
    for w in said.split():
        if w in words.DOMAIN_WORDS or w in area_words or w.isdigit():
            continue
        if any(e.area in area_ids for e in index.by_word.get(w, ())):
            return True
    return False


def said_device(call: ToolCall, text: str, inventory: Inventory, speaker_area: str | None,
                index: NameIndex) -> ToolCall | None:
    """The call with the device whose whole name the user said, when the LLM named another one.

    Only a single device qualifies: its every name word said (the speaker's room counts), in the
    room said if one was, with no other device's whole name said that it does not explain; and
    the result must pass :func:`grounded`. Otherwise None (ask back)."""
    name = call.args.get("name")
    if not isinstance(name, str) or words.is_chinese(text):
        return None
    here = inventory.area(speaker_area) if speaker_area else None
    said = _spoken(text)
    toks = set(said.split())  # the room alone does not complete a name here: "the fan" stays a question
    rooms = areas_said(index, said)[0]
    whole: dict[str, Entity] = {}
    for t in set(said.split()):
        posting = index.by_word.get(t, ())
        if len(posting) > MAX_POSTING:
            continue
        for e in posting:
            if any(set(k.split()) <= toks for k in index.keys_of.get(e.entity_id, ())):
                whole[e.entity_id] = e
    if rooms:
        whole = {i: e for i, e in whole.items() if e.area in rooms}
    # The most specific: drop a device whose said name is part of another's ("Fan" in "Fan 2").
    best = [e for e in whole.values()
            if not any(o is not e and _covers(o, e, toks, index) for o in whole.values())]
    if len(best) > 1 and here is not None:
        best = [e for e in best if e.area == here.id]
    if len(best) != 1:
        return None
    fixed = ToolCall(call.name, {**call.args, "name": best[0].name})
    return fixed if grounded(fixed, text, inventory, speaker_area, index) else None


def _covers(o: Entity, e: Entity, toks: set[str], index: NameIndex) -> bool:
    """``o`` has a said name with more words than every said name of ``e``."""
    said_e = [set(k.split()) for k in index.keys_of.get(e.entity_id, ()) if set(k.split()) <= toks]
    said_o = [set(k.split()) for k in index.keys_of.get(o.entity_id, ()) if set(k.split()) <= toks]
    return any(all(so > se for se in said_e) for so in said_o)
