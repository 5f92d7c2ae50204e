"""Transcript-like noise: Whisper's casing and punctuation, fillers, homophones and letter slips."""

from __future__ import annotations

import random
from collections.abc import Sequence

EN_HOMOPHONES = {"light": "lite", "lights": "lites", "blinds": "blines", "fan": "fun", "timer": "time",
                 "lamp": "lamb", "off": "of", "to": "too", "for": "four", "door": "dor", "heater": "heeter",
                 "kitchen": "kitchin", "bedroom": "bed room", "curtains": "curtins", "vacuum": "vaccum"}
ZH_HOMOPHONES = {"厅": "听", "灯": "登", "卧": "握", "厨": "除", "调": "跳", "帘": "连", "扇": "善",
                 "锁": "所", "暖": "软", "窗": "床", "扫": "嫂", "温": "闻"}
ZH_TRADITIONAL = {"开": "開", "关": "關", "灯": "燈", "厅": "廳", "调": "調", "帘": "簾", "门": "門",
                  "时": "時", "钟": "鐘", "锁": "鎖", "扫": "掃", "电": "電", "视": "視", "气": "氣"}
EN_FILLERS = ("um, ", "uh ", "okay, ", "hey, ", "so ", "hey hearth, ")
ZH_FILLERS = ("嗯，", "那个，", "小助手，", "喂，")
QUESTION_WORDS = ("what", "which", "is", "are", "how", "did", "do", "can", "could", "when", "has", "who",
                  "would", "why", "got")


def _protected(word: str, protect: Sequence[str]) -> bool:
    return any(word.strip(",.?").lower() in p.lower().split() for p in protect)


def _en_slip(rng: random.Random, text: str, protect: Sequence[str]) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if not _protected(w, protect)]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    kind = rng.random()
    if kind < 0.45 and w.lower() in EN_HOMOPHONES:
        words[i] = EN_HOMOPHONES[w.lower()]
    elif kind < 0.45:
        cands = [j for j in idx if words[j].lower() in EN_HOMOPHONES]
        if cands:
            j = rng.choice(cands)
            words[j] = EN_HOMOPHONES[words[j].lower()]
    elif kind < 0.7 and len(w) > 4 and w.isalpha():
        k = rng.randrange(1, len(w) - 2)
        words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    elif kind < 0.85 and w.isalpha() and len(w) > 3:
        words[i] = w[:-1] if w.endswith("s") else w + "s"
    elif "the" in words:
        words.remove("the")
    return " ".join(words)


def _zh_slip(rng: random.Random, text: str, protect: Sequence[str], table: dict[str, str]) -> str:
    keep = set("".join(protect))
    chars = [c for c in text if c in table and c not in keep]
    if not chars:
        return text
    c = rng.choice(chars)
    return text.replace(c, table[c], 1)


def whisperish(rng: random.Random, text: str, lang: str, *, protect: Sequence[str] = (),
               slips: bool = True) -> str:
    """``text`` as a speech recogniser might write it; words in ``protect`` are left alone."""
    if lang == "zh":
        if slips and rng.random() < 0.15:
            text = _zh_slip(rng, text, protect, ZH_HOMOPHONES)
        if rng.random() < 0.05:
            for _ in range(3):
                text = _zh_slip(rng, text, protect, ZH_TRADITIONAL)
        if rng.random() < 0.06:
            text = rng.choice(ZH_FILLERS) + text
        if rng.random() < 0.5 and text[-1] not in "。？！":
            q = text.endswith(("吗", "么", "多少", "几", "多久", "没", "没有", "如何", "怎么样"))
            text += "？" if q else "。"
        return text
    if slips and rng.random() < 0.25:
        text = _en_slip(rng, text, protect)
    if rng.random() < 0.06:
        text = rng.choice(EN_FILLERS) + text
    if rng.random() < 0.5:
        text = text[:1].upper() + text[1:]
    if rng.random() < 0.45 and text[-1] not in ".?!":
        text += "?" if text.split(" ")[0].lower().strip(",") in QUESTION_WORDS else "."
    return text
