"""Replies in the speaker's language only: complete tables, kinds and states in words, never a raw value."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from assistant import i18n
from assistant.brain.fastpath import FastPath
from assistant.brain.service import HearthBrain
from assistant.home import inventory
from assistant.home.resolve import Resolution
from assistant.i18n import _table
from assistant.i18n.names import failure
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.timers import TimerManager

INV = inventory.load(inventory.bundled_path())
DEVSET = Path(__file__).parent / "devset"
LATIN = re.compile(r"[A-Za-z][A-Za-z ]*")


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_language_has_every_reply() -> None:
    langs = i18n.languages()
    assert {"en", "zh"} <= set(langs)
    en = _table("en")
    for lang in langs:
        table = _table(lang)
        assert set(table) == set(en), (lang, set(table) ^ set(en))
        for key, text in table.items():  # well-formed: every brace pairs up
            assert all(f.isidentifier() for f in _fields(text)), (lang, key, text)


def test_unknown_language_and_key() -> None:
    assert i18n.text("brain.cancelled", "fr") == "Okay, I won't."  # no French table: English
    assert i18n.kind("media_player", "zh") == "播放器" and i18n.kind("no_such_domain", "zh") == "设备"
    assert i18n.state("unlocked", "zh") == "没锁" and i18n.state("weird", "zh") == "状态未知"
    with pytest.raises(KeyError):
        i18n.text("no.such.key", "en")


def test_not_found_names_the_kind_in_the_speakers_language() -> None:
    room = INV.area("living_room")
    assert failure(Resolution("none", (), "cover", room), "zh") == "客厅没有窗帘。"
    assert failure(Resolution("none", (), "cover", room), "en") == "I can't find any blinds in the Living Room."
    assert failure(Resolution("none", (), "toaster", room), "en") == (
        "I don't know a device called toaster in the Living Room.")
    lamps = tuple(e for e in INV.entities if e.entity_id in ("light.floor_lamp", "light.desk_lamp"))
    assert failure(Resolution("ambiguous", lamps, "灯"), "zh") == "您指的是哪一个：落地灯还是台灯？"


def _allowed_latin() -> set[str]:
    """English words a Chinese reply may hold: device names the home gives only in English, units."""
    names = {e.name for e in INV.entities if not any(re.search(r"[\u4e00-\u9fff]", a) for a in e.aliases)}
    return {w.casefold() for n in (*names, "Hearth", "Home Assistant", "K", "C") for w in n.split()}


def test_chinese_replies_hold_no_english_or_raw_values() -> None:
    brain = HearthBrain(INV, SkillRegistry.discover(), fast_path=FastPath(INV), timers=TimerManager())
    allowed = _allowed_latin()
    rows = [json.loads(x) for f in ("zh.jsonl",) for x in (DEVSET / f).read_text(encoding="utf-8").splitlines()]
    extra = ["客厅的电视开着吗", "后门锁了吗", "打开书房的窗帘", "把卧室的fan打开", "哪些灯开着", "车库门开着吗",
             "扫地机器人在充电吗", "客厅灯开着吗", "把客厅的light关掉"]
    checked = 0
    for text in [r["text"] for r in rows] + extra:
        u = brain.understand(text, area="living_room", language="zh", execute=False)
        leaked = [w for w in LATIN.findall(u.reply) for w in w.split() if w.casefold() not in allowed]
        assert not leaked, (text, u.reply)
        assert "{" not in u.reply and "_" not in u.reply, (text, u.reply)
        checked += 1
    assert checked > 80
