"""Spoken-word normalisation and the domain vocabulary (English and Chinese) used to resolve names."""

from __future__ import annotations

import functools
import re
import unicodedata

CJK = re.compile(r"[\u3400-\u9fff]")

# Filler words dropped from spoken names: articles, possessives, quantifiers, politeness.
_EN_FILLER = {
    "the", "a", "an", "my", "our", "your", "all", "every", "each", "please", "both",
    "this", "these", "those", "some",
}
_ZH_FILLER = ("所有的", "所有", "全部的", "全部", "一下", "那个", "这个", "我的", "的", "把", "请")

DOMAIN_WORDS: dict[str, str] = {
    # English (singular; plurals are handled by singular())
    "light": "light", "lamp": "light", "lighting": "light", "bulb": "light",
    "fan": "fan",
    "cover": "cover", "blind": "cover", "shade": "cover", "curtain": "cover",
    "shutter": "cover", "garage door": "cover", "window covering": "cover",
    "tv": "media_player", "television": "media_player", "speaker": "media_player",
    "media player": "media_player", "music": "media_player",
    "switch": "switch", "plug": "switch", "outlet": "switch", "socket": "switch",
    "thermostat": "climate", "heating": "climate", "heater": "climate",
    "air conditioner": "climate", "air conditioning": "climate", "ac": "climate",
    "lock": "lock", "door lock": "lock",
    "vacuum": "vacuum", "robot vacuum": "vacuum",
    "alarm": "alarm_control_panel",
    "sensor": "sensor",
    # Chinese
    "灯": "light", "灯光": "light", "电灯": "light", "台灯": "light", "吊灯": "light",
    "风扇": "fan", "电扇": "fan", "吊扇": "fan",
    "窗帘": "cover", "百叶窗": "cover", "卷帘": "cover", "车库门": "cover",
    "电视": "media_player", "电视机": "media_player", "音箱": "media_player",
    "空调": "climate", "暖气": "climate", "恒温器": "climate",
    "开关": "switch", "插座": "switch",
    "锁": "lock", "门锁": "lock",
    "扫地机": "vacuum", "扫地机器人": "vacuum", "吸尘器": "vacuum",
    "警报": "alarm_control_panel", "报警器": "alarm_control_panel",
}

# Words that single out one device among several of a kind ("ceiling light" vs "wall light"):
# said and not in a device's name, they mean another device, even one the home lacks.
QUALIFIER_WORDS = frozenset({
    "ceiling", "wall", "floor", "desk", "table", "bedside", "window", "strip", "pendant", "spot",
    "reading", "accent", "cabinet", "corner", "standing", "outdoor", "indoor", "upper", "lower",
    "upstairs", "downstairs", "north", "south", "east", "west", "guest", "master", "kid", "porch",
    "garden",
})

# Words that name a whole domain rather than a kind of device within it.
GENERIC_WORDS = frozenset({
    "light", "lighting", "fan", "switch", "cover", "lock", "vacuum", "media player",
    "灯", "灯光", "电灯", "风扇", "开关", "锁",
})

# Spoken words that name a cover's device class ("open the blinds" → device_class blind).
DEVICE_CLASS_WORDS: dict[str, str] = {
    "blind": "blind", "shade": "shade", "curtain": "curtain", "shutter": "shutter",
    "garage door": "garage", "garage": "garage", "door": "door", "window": "window",
    "gate": "gate", "awning": "awning",
    "窗帘": "curtain", "百叶窗": "blind", "卷帘": "shade", "车库门": "garage", "门": "door",
}

DOMAIN_NAMES_EN: dict[str, str] = {
    "light": "lights", "fan": "fans", "cover": "covers", "media_player": "media players",
    "switch": "switches", "climate": "thermostats", "lock": "locks", "vacuum": "vacuums",
    "alarm_control_panel": "alarms", "sensor": "sensors",
}
DOMAIN_NAMES_ZH: dict[str, str] = {
    "light": "灯", "fan": "风扇", "cover": "窗帘", "media_player": "播放器", "switch": "开关",
    "climate": "空调", "lock": "锁", "vacuum": "扫地机", "alarm_control_panel": "警报器",
    "sensor": "传感器",
}


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


@functools.lru_cache(maxsize=4096)
def pinyin(text: str) -> str:
    """Toneless pinyin syllables of Chinese text ("客厅灯" → "ke ting deng"); other text as is."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text.replace(" ", "")))


def singular(word: str) -> str:
    """A rough English singular ("lights" → "light", "switches" → "switch"); other words unchanged."""
    if len(word) <= 3 or not word.isascii() or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("shes", "ches", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("us", "is")):
        return word[:-1]
    return word


def normalize(text: str) -> str:
    """Lower-case, strip punctuation, possessives and filler words: "the Kitchen's lights!" → "kitchen lights"."""
    t = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    t = re.sub(r"'s\b", "", t)
    t = re.sub(r"[^\w\s\u3400-\u9fff-]", " ", t).replace("-", " ").replace("_", " ")
    for f in _ZH_FILLER:
        t = t.replace(f, " " if not CJK.search(f) else "")
    words = [w for w in t.split() if w not in _EN_FILLER]
    out = " ".join(words)
    # Chinese has no spaces between words: drop the ones our filler removal left between CJK chars.
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", out)


NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}
"""Spoken numbers in names ("fan two" is "Fan 2"); "one" stays a word ("the other one")."""


def key(text: str) -> str:
    """A comparison key: normalized, each English word made singular, numbers as digits."""
    return " ".join(NUMBER_WORDS.get(w) or singular(w) for w in normalize(text).split())


def kinds(k: str) -> set[str]:
    """The domains of the device-kind words in a key ("office ceiling light" → {"light"})."""
    found: set[str] = set()
    if is_chinese(k):
        flat = k.replace(" ", "")
        return {d for w, d in DOMAIN_WORDS.items() if is_chinese(w) and w in flat}
    toks = k.split()
    for i, t in enumerate(toks):
        for w in (t, " ".join(toks[i : i + 2])):
            d = DOMAIN_WORDS.get(w)
            if d is not None and w != "music":
                found.add(d)
    return found


def kind_words(k: str) -> set[str]:
    """The device-kind words themselves (English words, or Chinese substrings)."""
    if is_chinese(k):
        flat = k.replace(" ", "")
        return {w for w in DOMAIN_WORDS if is_chinese(w) and w in flat}
    return {t for t in k.split() if t in DOMAIN_WORDS}


def is_plural(word: str) -> bool:
    w = normalize(word)
    return w.isascii() and singular(w.split()[-1]) != w.split()[-1] if w else False


def domain_of_word(word: str) -> str | None:
    """Map a spoken domain word ("lights", "blinds", "灯", or a domain id "light") to a domain."""
    k = key(word)
    if k in DOMAIN_WORDS:
        return DOMAIN_WORDS[k]
    if k.replace(" ", "_") in DOMAIN_NAMES_EN:
        return k.replace(" ", "_")
    return None


def device_class_of_word(word: str) -> str | None:
    return DEVICE_CLASS_WORDS.get(key(word))
