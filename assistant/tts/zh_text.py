"""Chinese text normalization for TTS: numbers, times, percentages and units read out as Hanzi."""

from __future__ import annotations

import re

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ["", "十", "百", "千"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def _four(n: int) -> str:
    """0 < n < 10000, without leading 零 handling across groups."""
    out = ""
    zero = False
    for i in range(3, -1, -1):
        d = n // 10**i % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL_UNITS[i]
    return out


def integer(n: int) -> str:
    """Read an integer: 23 → 二十三, 105 → 一百零五, 10 → 十, -5 → 负五."""
    if n < 0:
        return "负" + integer(-n)
    if n == 0:
        return "零"
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(_BIG_UNITS):
        return digits(str(sum(g * 10000**i for i, g in enumerate(groups))))
    out = ""
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        part = _four(g)
        if out and (g < 1000 or groups[i + 1] == 0):
            out += "零"
        out += part + _BIG_UNITS[i]
    if out.startswith("一十"):
        out = out[1:]
    return out


def digits(s: str) -> str:
    """Digit by digit: 2024 → 二零二四 (years, phone numbers, codes)."""
    return "".join(_DIGITS[int(c)] for c in s if c.isdigit())


def number(s: str) -> str:
    """A decimal string: 21.5 → 二十一点五, -3 → 负三."""
    neg = s.startswith("-")
    s = s.lstrip("-+")
    whole, _, frac = s.partition(".")
    text = integer(int(whole or "0"))
    if frac:
        text += "点" + digits(frac)
    return ("负" if neg else "") + text


_TIME = re.compile(r"(\d{1,2})[:：](\d{2})")
_YEAR = re.compile(r"(\d{4})(?=年)")
_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)\s*[%％]")
_TEMP = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:°C|℃|°)")
_LONG = re.compile(r"\d{9,}|0\d+")
_NUM = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?")


def normalize(text: str) -> str:
    """Rewrite digits and symbols as the words a Mandarin speaker would say."""
    text = _TIME.sub(
        lambda m: integer(int(m[1])) + "点" + (integer(int(m[2])) + "分" if int(m[2]) else ""), text
    )
    text = _YEAR.sub(lambda m: digits(m[1]), text)
    text = _PERCENT.sub(lambda m: "百分之" + number(m[1]), text)
    text = _TEMP.sub(lambda m: number(m[1]) + "度", text)
    text = _LONG.sub(lambda m: digits(m[0]), text)
    text = _NUM.sub(lambda m: number(m[0]), text)
    return text
