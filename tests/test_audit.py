"""The audit log: masking (English and Chinese forms), owner-only file, retention, export, purge,
the recorder on the event bus, `hearth audit` and the spoken "forget what I said today"."""

from __future__ import annotations

import datetime as dt
import json
import stat
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.audit.mask import Masker
from assistant.audit.recorder import AuditRecorder
from assistant.audit.store import DAY_S, AuditStore
from assistant.brain.fastpath import FastPath
from assistant.brain.service import HearthBrain
from assistant.cli import main
from assistant.commands.audit import parse_time
from assistant.errors import ConfigError
from assistant.events import CommandAudio, EventBus, IntentOutcome, RunFinished, Understood
from assistant.home import inventory
from assistant.intents import Understanding
from assistant.skillkit.registry import SkillRegistry

MASK = Masker.build()


@pytest.mark.parametrize(("said", "kept", "gone"), [
    ("call me on 13812345678 tomorrow", "call me on", "13812345678"),
    ("my number is +86 138 1234 5678", "my number is", "1234"),
    ("my number is 138-1234-5678", "my number is", "1234-5678"),
    ("text 555-123-4567 please", "please", "123-4567"),
    ("call (415) 555 0199", "call", "0199"),
    ("my phone is five five five one two three four five six seven", "my phone is", "four five six"),
    ("mail jane.doe+home@example.co.uk now", "now", "example"),
    ("email jane dot doe at example dot com", "email", "example dot com"),
    ("card 4111 1111 1111 1111 expires", "expires", "4111"),
    ("ssn 123-45-6789", "ssn", "45-6789"),
    ("account 00123456789", "account", "123456789"),
    ("我的手机号是13912345678", "我的手机号是", "13912345678"),
    ("给一三八一二三四五六七八发短信", "发短信", "一二三四五六七"),
    ("身份证号110105199003071234", "身份证号", "19900307"),
    ("身份证号码是11010519900307123X", "身份证号码是", "123X"),
    ("银行卡号6222 0212 3456 7890 123", "银行卡号", "7890"),
    ("我的邮箱是zhang.san@qq.com", "我的邮箱是", "qq.com"),
    ("电话是１３８１２３４５６７８", "电话是", "１２３４"),
])
def test_personal_data_is_masked(said: str, kept: str, gone: str) -> None:
    out = MASK(said)
    assert kept in out and gone not in out and "[" in out, out


@pytest.mark.parametrize("said", [
    "turn on the kitchen light", "set the bedroom light to 50%", "set a timer for 10 minutes",
    "set the thermostat to 21 degrees", "打开厨房灯", "把卧室灯调到百分之五十", "what time is it",
    "定一个10分钟的计时器",
    "remind me at 7 30", "turn on light 2",
])
def test_ordinary_commands_are_kept_as_said(said: str) -> None:
    assert MASK(said) == said


def test_household_patterns_and_bad_ones() -> None:
    m = Masker.build([r"\bmr\.? smith\b", r"会员号\S+"])
    assert m("ask Mr. Smith about it") == "ask [masked] about it"
    assert "A1B2" not in m("我的会员号A1B2C3")
    with pytest.raises(ConfigError, match=r"mask_patterns\[1\]"):
        Masker.build(["ok", "(unclosed"])


def row(ts: float, text: str = "turn on the kitchen light", run_id: str = "") -> dict:
    return {"ts": ts, "run_id": run_id, "node": "kitchen", "room": "kitchen", "transcript": text, "path": "fast",
            "intents": [], "actions": [], "reply": "ok", "latency_ms": 12.0}


def test_file_is_owner_only_and_retention_deletes_old_turns(tmp_path: Path) -> None:
    path = tmp_path / "d" / "audit.sqlite"
    store = AuditStore(path, retention_days=30)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    now = time.time()
    for age_days in (45, 31, 29, 1, 0):
        store.record(row(now - age_days * DAY_S, f"{age_days} days ago"))
    assert store.enforce_retention(now) == 2
    assert [r["transcript"] for r in store.rows()] == ["29 days ago", "1 days ago", "0 days ago"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert b"45 days ago" not in raw and b"31 days ago" not in raw  # deleted words are wiped, not just unlinked


def test_retention_runs_at_start_and_periodically(tmp_path: Path) -> None:
    clock = [time.time()]
    store = AuditStore(tmp_path / "a.sqlite", retention_days=1)
    store.record(row(clock[0] - 2 * DAY_S, "old"))
    rec = AuditRecorder(store, MASK, node="kitchen", clock=lambda: clock[0])
    assert store.count() == 0  # at start
    bus = EventBus()
    rec.attach(bus)
    store.record(row(clock[0] - 0.5 * DAY_S, "half a day old"))
    clock[0] += 0.7 * DAY_S
    bus.publish(Understood(understanding=Understanding(text="hello", reply="hi"), ts=clock[0]))
    assert [r["transcript"] for r in store.rows()] == ["hello"]


def test_retention_runs_while_nobody_speaks(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "a.sqlite", retention_days=1)
    detach = AuditRecorder(store, MASK, node="n").attach(EventBus(), every_s=0.1)
    try:
        store.record(row(time.time() - 2 * DAY_S, "aged while idle"))
        store.record(row(time.time(), "fresh"))
        deadline = time.monotonic() + 5
        while store.count() > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r["transcript"] for r in store.rows()] == ["fresh"]
    finally:
        detach()


def test_recorder_writes_a_masked_turn_and_hears_the_outcome_and_latency(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "a.sqlite")
    bus = EventBus()
    AuditRecorder(store, MASK, node="kitchen").attach(bus)
    reg = SkillRegistry.discover()
    inv = inventory.load(inventory.bundled_path())
    brain = HearthBrain(inv, reg, fast_path=FastPath(inv), bus=bus)
    brain.understand("add call 13812345678 to my shopping list", area="kitchen")
    brain.understand("turn on the kitchen light", area="kitchen")
    rows = store.rows()
    assert len(rows) == 2
    listed, light = rows
    assert "13812345678" not in json.dumps(listed) and "[phone]" in listed["transcript"]
    assert listed["node"] == "kitchen" and listed["room"] == "kitchen" and listed["path"] == "fast"
    assert light["actions"] == [{"service": "light.turn_on", "entity_id": "light.kitchen", "data": {}}]
    assert light["intents"][0]["intent"] == "HassTurnOn" and light["run_id"]
    bus.publish(IntentOutcome(run_id=light["run_id"], intent_id="abc", status="refused", reason="not allowed"))
    bus.publish(RunFinished(run_id=light["run_id"], timings_ms={"total": 432.1}))
    light = store.rows()[1]
    assert light["outcome"][0]["status"] == "refused" and light["outcome"][0]["reason"] == "not allowed"
    assert light["latency_ms"] == 432.1


def test_audio_is_kept_only_when_asked(tmp_path: Path) -> None:
    for keep in (False, True):
        store = AuditStore(tmp_path / f"{keep}.sqlite")
        bus = EventBus()
        AuditRecorder(store, MASK, node="n", keep_audio=keep).attach(bus)
        bus.publish(CommandAudio(run_id="r1", samples=np.zeros(16000, dtype=np.float32)))
        bus.publish(Understood(run_id="r1", understanding=Understanding(text="hi", reply="hello")))
        audio = store.rows()[0]["audio"]
        assert (audio is not None) == keep
        assert store.audio_dir.exists() == keep
        if keep:
            assert stat.S_IMODE(Path(audio).stat().st_mode) == 0o600
            with wave.open(audio) as w:
                assert w.getnframes() == 16000 and w.getframerate() == 16000
            store.purge()
            assert not Path(audio).exists()


def test_forget_what_i_said_today_purges_after_a_yes(tmp_path: Path) -> None:
    store = AuditStore(tmp_path / "a.sqlite")
    yesterday = time.time() - DAY_S - 60
    store.record(row(yesterday, "said yesterday"))
    bus = EventBus()
    AuditRecorder(store, MASK, node="kitchen").attach(bus)
    reg = SkillRegistry.discover()
    inv = inventory.load(inventory.bundled_path())
    brain = HearthBrain(inv, reg, fast_path=FastPath(inv), bus=bus)
    brain.understand("turn on the kitchen light")
    ask = brain.understand("Forget what I said today.")
    assert ask.expects_reply and not ask.intents
    assert len(store.rows()) == 3
    brain.understand("yeah no")
    assert len(store.rows()) == 4  # not a yes: nothing deleted
    brain.understand("删除今天的记录")
    done = brain.understand("好的")
    assert done.intents and done.intents[0].intent == "HearthForget"
    assert [r["transcript"] for r in store.rows()] == ["said yesterday"]
    brain.understand("forget everything I said")
    brain.understand("yes")
    assert store.count() == 0


def test_the_llm_is_not_offered_the_forget_skill() -> None:
    reg = SkillRegistry.discover()
    forget = reg.get("HearthForget")
    assert forget is not None and not forget.llm


def test_parse_time() -> None:
    now = time.time()
    assert parse_time("2h", now) == pytest.approx(now - 7200)
    assert parse_time("7d", now) == pytest.approx(now - 7 * DAY_S)
    midnight = dt.datetime.fromtimestamp(now).astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse_time("today", now) == midnight.timestamp()
    assert parse_time("2026-05-01T08:00+00:00") == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC).timestamp()


def test_cli_list_export_purge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\nnode_id = "kitchen"\n'
                   f'[brain]\nllm = false\ninventory = "{inventory.bundled_path()}"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "ask", "turn on the kitchen light"]) == 0
    assert main(["--config", str(cfg), "ask", "我的手机号是13912345678"]) == 0
    capsys.readouterr()
    db = tmp_path / "data" / "audit.sqlite"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    old = AuditStore(db)
    old.record(row(time.time() - 3 * DAY_S, "three days ago"))

    assert main(["--config", str(cfg), "audit"]) == 0
    out = capsys.readouterr().out
    assert "turn on the kitchen light" in out and "light.turn_on light.kitchen" in out and "13912345678" not in out
    assert main(["--config", str(cfg), "audit", "--since", "1d", "--json"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["transcript"] for r in recs] == ["turn on the kitchen light", "我的手机号是[phone]"]
    assert recs[0]["node"] == "kitchen" and recs[0]["path"] == "fast" and recs[0]["actions"]

    export = tmp_path / "export.jsonl"
    assert main(["--config", str(cfg), "audit", "export", str(export)]) == 0
    lines = [json.loads(x) for x in export.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3 and lines[0]["transcript"] == "three days ago"
    assert stat.S_IMODE(export.stat().st_mode) == 0o600

    assert main(["--config", str(cfg), "audit", "purge", "--before", "1d"]) == 0
    assert "1 records deleted" in capsys.readouterr().out
    assert main(["--config", str(cfg), "audit", "purge", "--all"]) == 0
    assert "2 records deleted" in capsys.readouterr().out
    assert AuditStore(db).count() == 0
    assert main(["--config", str(cfg), "audit", "--since", "yesterday-ish"]) == 2


def test_dry_run_records_nothing_and_disabled_audit_writes_no_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\n[brain]\nllm = false\n'
                   f'inventory = "{inventory.bundled_path()}"\n[audit]\nenabled = false\n', encoding="utf-8")
    assert main(["--config", str(cfg), "ask", "turn on the kitchen light"]) == 0
    assert not (tmp_path / "data" / "audit.sqlite").exists()


@pytest.mark.slow
def test_the_llm_answer_is_on_record_and_masked_with_the_real_model(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[general]\ndata_dir = "{tmp_path / "data"}"\n'
                   f'[brain]\ninventory = "{inventory.bundled_path()}"\n', encoding="utf-8")
    said = "please add call 13812345678 about the boiler to my notes"
    assert main(["--config", str(cfg), "ask", said]) == 0
    capsys.readouterr()
    recs = AuditStore(tmp_path / "data" / "audit.sqlite").rows()
    assert len(recs) == 1 and recs[0]["llm_raw"], recs  # no template has this: the LLM answered
    assert "[phone]" in recs[0]["transcript"]
    assert b"13812345678" not in (tmp_path / "data" / "audit.sqlite").read_bytes()


def test_a_bad_mask_pattern_is_a_config_error_that_names_it(tmp_path: Path) -> None:
    from assistant import config

    p = tmp_path / "c.toml"
    p.write_text('[audit]\nmask_patterns = ["ok", "(x"]\nretention_days = 7\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[audit\] mask_patterns\[1\]"):
        config.load(p)
    p.write_text("[audit]\nretention_days = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="retention_days"):
        config.load(p)
