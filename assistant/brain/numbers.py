"""Numbers the user said, and a percentage the LLM got wrong.

A small model copying "百分之五十" into a call sometimes writes 5, or "forty" becomes 14. A
percentage argument (brightness, position, volume) that is not a number the user said is replaced
by the one percentage-sized number the utterance holds, or the one share it names ("halfway" is
50, "three quarters" 75); with none or several, the call is left as it is.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from assistant.brain.grammar import PERCENT_ARGS
from assistant.skillkit.spec import ToolCall, ToolSpec

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_ARTICLES = {"一", "两"}
"""Alone, 一 and 两 are mostly "a" / "a couple" (开一下灯, 调亮一点), not quantities."""
_CN_NUMBER = re.compile(f"[{''.join(_CN_DIGIT)}{''.join(_CN_UNIT)}]+")
_EN_UNITS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"))}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"))}
_TENS_RE = "|".join(_EN_TENS)
_DIGIT_RE = "|".join(k for k, v in _EN_UNITS.items() if 0 < v < 10)
_UNIT_RE = "|".join(_EN_UNITS)
_EN_NUMBER = re.compile(
    rf"\b(?:({_TENS_RE})(?:[\s-]+({_DIGIT_RE}))?|({_UNIT_RE})|(a |one )?hundred)\b",
    re.IGNORECASE,
)


def chinese_number(s: str) -> int | None:
    """"五十" → 50, "二十五" → 25, "一百" → 100, "十" → 10, "三五" → None (not one number)."""
    if not s:
        return None
    total, digit, last_unit = 0, None, 10**9
    for ch in s:
        if ch in "零〇" and last_unit < 10**9:
            continue  # 一百零五: the zero only holds a place
        if ch in _CN_DIGIT:
            if digit is not None:
                return None  # two digits in a row: a list or a code, not one number
            digit = _CN_DIGIT[ch]
        else:
            unit = _CN_UNIT[ch]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return total + (digit or 0)


def said(text: str) -> list[float]:
    """Every number in ``text``: digits, English number words up to a hundred, Chinese numerals."""
    out = [float(m.group(0)) for m in _DIGITS.finditer(text)]
    for m in _CN_NUMBER.finditer(text.replace("百分之", " ")):
        word = m.group(0)
        if word in _CN_ARTICLES or not any(c in _CN_DIGIT for c in word):
            continue  # 一下 "a bit"; 百叶窗 "blinds" and 十分 "very" hold no digit
        value = chinese_number(word)
        if value is not None:
            out.append(float(value))
    for m in _EN_NUMBER.finditer(text):
        tens, unit, single, _ = m.groups()
        if tens:
            out.append(float(_EN_TENS[tens.lower()] + (_EN_UNITS[unit.lower()] if unit else 0)))
        elif single and single.lower() != "one":  # "the one by the door" is no quantity
            out.append(float(_EN_UNITS[single.lower()]))
        elif not single:
            out.append(100.0)
    return out


_SHARES = (
    (re.compile(r"\bthree[\s-]quarters?\b", re.IGNORECASE), 75.0),
    (re.compile(r"\b(?:a |one )?quarter\b", re.IGNORECASE), 25.0),
    (re.compile(r"\bhalf(?:way)?\b", re.IGNORECASE), 50.0),
    (re.compile(r"一半"), 50.0),
)
_SHARE_WORDS = re.compile("|".join(p.pattern for p, _ in _SHARES), re.IGNORECASE)
_NOT_SHARES = re.compile(r"\b(?:(?:a |one |three )?quarters? of an? (?:hour|minute)|half an? (?:hour|minute)|"
                         r"an? half hour|(?:hour|minute)s? and a half)\b|半个?(?:小时|钟头)|半分钟", re.IGNORECASE)


def shares(text: str) -> list[float]:
    """Percentages said as words: "halfway" 50, "a quarter" 25, "一半" 50 ("half an hour" is a time)."""
    rest = _NOT_SHARES.sub(" ", text)
    out: list[float] = []
    for pattern, value in _SHARES:
        if pattern.search(rest):
            out.append(value)
            rest = pattern.sub(" ", rest)
    return out


def _percent_args(spec: ToolSpec) -> list[str]:
    props: dict[str, Any] = spec.parameters.get("properties", {})
    return [k for k, p in props.items() if p.get("type") in ("integer", "number")
            and ((p.get("minimum"), p.get("maximum")) == (0, 100) or k in PERCENT_ARGS)]


def reconcile(call: ToolCall, text: str, spec: ToolSpec | None) -> ToolCall:
    """``call`` with a percentage the user never said replaced by the one they did say."""
    if spec is None:
        return call
    keys = [k for k in _percent_args(spec) if isinstance(call.args.get(k), int | float)]
    if not keys:
        return call
    spoken = shares(text)
    numbers = said(_SHARE_WORDS.sub(" ", text) if spoken else text)  # "three quarters" is no 3
    candidates = {n for n in numbers if 0 <= n <= 100} | set(spoken)
    args = dict(call.args)
    for key in keys:
        value = float(args[key])
        if value in numbers or value in spoken or len(candidates) != 1:
            continue
        fixed = next(iter(candidates))
        log.info("LLM wrote %s=%s but the user said %s; using what was said", key, args[key], fixed)
        args[key] = int(fixed) if fixed.is_integer() else fixed
    return ToolCall(call.name, args)


# -- spoken durations -------------------------------------------------------------------------

_EN_COUNT = rf"(?:\d+|{_UNIT_RE}|(?:{_TENS_RE})(?:[\s-]+(?:{_DIGIT_RE}))?|an?)"
_EN_FRACTIONS = [
    (re.compile(r"\b(?:a|one) quarter (?:of an|of a|an) hour\b", re.I), "15 minutes"),
    (re.compile(r"\bthree quarters? of an hour\b", re.I), "45 minutes"),
    (re.compile(r"\bhalf an hour\b|\ba half hour\b|\bhalf of an hour\b", re.I), "30 minutes"),
    (re.compile(r"\bhalf a minute\b|\ba half minute\b", re.I), "30 seconds"),
    (re.compile(rf"\b({_EN_COUNT}) and a half hours?\b", re.I), "{n} hours and 30 minutes"),
    (re.compile(r"\ban hour and a half\b|\bone and a half hours?\b", re.I), "1 hour and 30 minutes"),
    (re.compile(rf"\b({_EN_COUNT}) hours? and a half\b", re.I), "{n} hours and 30 minutes"),
    (re.compile(rf"\b({_EN_COUNT}) and a half minutes?\b", re.I), "{n} minutes and 30 seconds"),
    (re.compile(r"\ba minute and a half\b|\bone and a half minutes?\b", re.I), "1 minute and 30 seconds"),
    (re.compile(rf"\b({_EN_COUNT}) minutes? and a half\b", re.I), "{n} minutes and 30 seconds"),
    (re.compile(r"\ban hour\b", re.I), "1 hour"),
    (re.compile(r"\ba minute\b", re.I), "1 minute"),
]
_ZH_NUM = f"[{''.join(_CN_DIGIT)}{''.join(_CN_UNIT)}0-9]+"
_ZH_FRACTIONS = [
    (re.compile(f"({_ZH_NUM})个半(?:小时|钟头)"), "{n}小时30分钟"),
    (re.compile(f"({_ZH_NUM})(?:小时|个小时|钟头)半"), "{n}小时30分钟"),
    (re.compile(r"半个?(?:小时|钟头)"), "30分钟"),
    (re.compile(r"(?<![一二两三四五六七八九十\d])一刻钟"), "15分钟"),
    (re.compile(r"三刻钟"), "45分钟"),
    (re.compile(r"两刻钟"), "30分钟"),
    (re.compile(f"({_ZH_NUM})分半钟?"), "{n}分钟30秒"),
    (re.compile(f"({_ZH_NUM})分钟半"), "{n}分钟30秒"),
    (re.compile(r"半分钟"), "30秒"),
]


def _count(word: str) -> int | None:
    """ "two" → 2, "twenty five" → 25, "a" → 1, "两" → 2, "3" → 3."""
    w = word.strip().casefold()
    if w.isdigit():
        return int(w)
    if w in ("a", "an"):
        return 1
    if words_cn := chinese_number(w) if _CN_NUMBER.fullmatch(w) else None:
        return words_cn
    found = [n for n in said(w) if n.is_integer()]
    return int(found[0]) if len(found) == 1 else None


def durations(text: str) -> str:
    """``text`` with fractional spoken durations as plain ones the templates know:
    "a quarter of an hour" → "15 minutes", "an hour and a half" → "1 hour and 30 minutes",
    "两个半小时" → "2小时30分钟", "一刻钟" → "15分钟", "半小时" → "30分钟"."""
    rules = _ZH_FRACTIONS if _CN_NUMBER.search(text) or re.search(r"[\u3400-\u9fff]", text) else _EN_FRACTIONS
    out = text
    for pattern, template in rules:
        def fill(m: re.Match[str], template: str = template) -> str:
            if "{n}" not in template:
                return template
            n = _count(m.group(1))
            return m.group(0) if n is None else template.format(n=n)
        out = pattern.sub(fill, out)
    if out != text:
        log.debug("durations: %r → %r", text, out)
    return out
