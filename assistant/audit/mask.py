"""Masking personal data in what the household said before it is written anywhere.

Transcripts come from Whisper, so numbers appear as digits, full-width digits, Chinese numerals
(一三八…, 幺 for one) or spelled-out English digits. Every form is mapped one character to one
ASCII digit first, the patterns run on that copy, and the matched spans are masked in the
original: one set of patterns serves all the forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.errors import ConfigError

_DIGITS = {**{c: str(i) for i, c in enumerate("零一二三四五六七八九")}, "〇": "0", "幺": "1", "两": "2",
           **{chr(0xFF10 + i): str(i) for i in range(10)}}
_TRANSLATE = str.maketrans(_DIGITS)

_WORD_DIGITS = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple)"
_SEP = r"[\s\-–.·()（）]"

BUILTIN: tuple[tuple[str, str], ...] = (
    ("email", r"[A-Za-z0-9._%+\-]+\s*(?:@|＠|\bat\b)\s*[A-Za-z0-9\-]+(?:\s*(?:\.|\bdot\b)\s*[A-Za-z]{2,})+"),
    # Mainland resident ID: 17 digits and a check digit or X (optionally grouped 6-8-4).
    ("id", r"(?<![0-9])[1-9]\d{5}" + _SEP + r"?(?:19|20)\d{2}" + _SEP + r"?\d{4}" + _SEP + r"?\d{3}[0-9Xx](?![0-9])"),
    # US social security number.
    ("id", r"(?<![0-9])\d{3}-\d{2}-\d{4}(?![0-9])"),
    # Mainland mobile: 1[3-9] and 9 digits, optionally +86, grouped 3-4-4 or not.
    ("phone", r"(?:(?:\+|00)?86" + _SEP + r"*)?(?<![0-9])1[3-9]\d" + _SEP + r"?\d{4}" + _SEP + r"?\d{4}(?![0-9])"),
    # Bank and payment cards: 13-19 digits, optionally grouped by spaces or dashes.
    ("card", r"(?<![0-9])\d(?:[ \-]?\d){12,18}(?![0-9])"),
    # Other phone numbers: an optional +country code and 7-15 digits with the usual separators.
    ("phone", r"(?<![0-9\w])(?:\+\d{1,3}" + _SEP + r"*)?(?:\(?\d{2,4}\)?" + _SEP + r"*)?\d{3,4}" + _SEP
     + r"?\d{3,4}(?![0-9])"),
    # Any other long run of digits (account, policy or passport numbers …).
    ("number", r"(?<![0-9])\d(?:" + _SEP + r"?\d){6,}(?![0-9])"),
)
"""(label, pattern) pairs, most specific first; each match becomes ``[label]``."""

_SPOKEN = re.compile(rf"\b{_WORD_DIGITS}(?:[\s,\-]+{_WORD_DIGITS}){{6,}}\b", re.IGNORECASE)
"""Seven or more spelled-out digits in a row ("five five five one two three four")."""


@dataclass(frozen=True, slots=True)
class Masker:
    """Replaces personal data with ``[phone]``, ``[email]``, ``[id]``, ``[card]``, ``[number]``
    and, for the household's own patterns, ``[masked]``."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def build(cls, extra: Iterable[str] = ()) -> Masker:
        """The built-in patterns plus ``extra`` (``[audit] mask_patterns``), checked here so a bad
        pattern is a config error at start, not a crash on someone's words."""
        pats: list[tuple[str, re.Pattern[str]]] = []
        for i, p in enumerate(extra):
            try:
                pats.append(("masked", re.compile(p, re.IGNORECASE)))
            except re.error as e:
                raise ConfigError(f"[audit] mask_patterns[{i}] = {p!r} is not a valid regular expression: {e}") from e
        pats += [(label, re.compile(p, re.IGNORECASE)) for label, p in BUILTIN]
        return cls(tuple(pats))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = _SPOKEN.sub("[number]", text)
        for label, pat in self.patterns:
            probe = text.translate(_TRANSLATE)  # same length as text: spans carry over
            spans = [m.span() for m in pat.finditer(probe) if m.end() > m.start()]
            for start, end in reversed(spans):
                text = text[:start] + f"[{label}]" + text[end:]
        return text
