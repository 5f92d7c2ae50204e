"""Sentence splitting for English and Chinese, and a script-based language guess for replies."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")

# A sentence ends after CJK enders (no space needed), or after . ! ? (and closing quotes) followed
# by whitespace; "3.5", "e.g." inside a word, and common abbreviations do not end one.
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "approx", "no"}
_ENDERS = re.compile(r"([。！？；!?]+[”’」』)\"']*|…+|\.{3}|(?<!\d)\.(?!\d)[”’\"')]*)")


def split_sentences(text: str) -> list[str]:
    """Split into sentences, keeping each one's punctuation; blank pieces are dropped."""
    text = " ".join(text.split())
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _ENDERS.finditer(text):
        end = m.end()
        if m.group(0).startswith(".") and not m.group(0).startswith("..."):
            words = text[start : m.start()].split()
            if words and words[-1].lower().rstrip(".") in _ABBREVIATIONS:
                continue
            if end < len(text) and not text[end].isspace():
                continue  # "example.com", "a.m." inside a token
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return _merge_punctuation_only(out)


def _merge_punctuation_only(pieces: list[str]) -> list[str]:
    """Glue pieces that hold no letters or digits (a lone "!") onto the previous sentence."""
    merged: list[str] = []
    for p in pieces:
        if merged and not any(ch.isalnum() for ch in p):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among CJK characters plus Latin words."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def detect_language(text: str) -> str:
    """``zh`` when the text is mostly Chinese characters, else ``en``."""
    return "zh" if cjk_ratio(text) > 0.5 else "en"
