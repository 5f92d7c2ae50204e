"""``hearth ask``: one sentence (--json, --dry-run) and batch mode (--jsonl) with scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.home import inventory

DEVSET = Path(__file__).parent / "devset"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Templates only (the LLM path is tested in test_brain), MQTT on but pointing nowhere."""
    p = tmp_path / "config.toml"
    p.write_text(
        f'[general]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[brain]\nllm = false\ninventory = "{inventory.bundled_path()}"\n'
        '[mqtt]\nenabled = true\nport = 9\n',
        encoding="utf-8",
    )
    return p


def test_json_output(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "ask", "--dry-run", "--json", "--area", "bedroom",
                 "turn off the light"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"text", "reply", "intents", "path", "ms"}
    assert out["path"] == "fast" and out["reply"] == "Turned off the Bedroom Light."
    # the speaker's room decided which light: it is in the slots, by name and id, as HA's intents carry it
    assert out["intents"] == [{"intent": "HassTurnOff", "slots": {"name": "light", "area": "Bedroom",
                                                                  "area_id": "bedroom"},
                               "actions": [{"service": "light.turn_off", "entity_id": "light.bedroom",
                                            "data": {}}]}]


def test_plain_reply_and_chinese(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "ask", "--dry-run", "打开客厅灯"]) == 0
    assert capsys.readouterr().out.strip() == "已打开客厅灯。"


def test_dry_run_publishes_and_changes_nothing(config: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "ask", "--dry-run", "set a timer for 10 minutes"]) == 0
    assert capsys.readouterr().out.strip() == "Timer set for 10 minutes."
    assert not (tmp_path / "data" / "outbox.sqlite").exists()


def test_jsonl_batch_lines_are_independent(config: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        {"id": "a", "text": "turn on the kitchen light"},
        {"id": "b", "text": "and the bedroom too"},
        {"id": "c", "text": "关灯", "area": "卧室"},
        {"id": "d", "text": "unlock the front door"},
        {"id": "e", "text": "yes"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n",
                   encoding="utf-8")
    assert main(["--config", str(config), "ask", "--jsonl", str(src)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    by_id = {o["id"]: o for o in out if o.get("id")}
    assert by_id["a"]["intents"][0]["actions"][0]["entity_id"] == "light.kitchen"
    assert by_id["b"]["intents"] == []  # no conversation carried between lines
    assert {a["entity_id"] for a in by_id["c"]["intents"][0]["actions"]} == {"light.bedroom", "light.bedside_lamp"}
    assert by_id["d"]["intents"] == [] and "Are you sure" in by_id["d"]["reply"]
    assert by_id["e"]["intents"] == []  # the "yes" belongs to no question
    assert out[-1]["error"].startswith("line 6")
    assert not (tmp_path / "data" / "outbox.sqlite").exists()


def test_jsonl_scores_expectations(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "scored.jsonl"
    rows = [
        {"id": 1, "text": "turn on the kitchen light",
         "expect": {"intent": "HassTurnOn", "actions": [{"service": "light.turn_on", "entity_id": "light.kitchen"}]}},
        {"id": 2, "text": "turn on the kitchen light",
         "expect": {"intent": "HassTurnOn", "actions": [{"service": "light.turn_on", "entity_id": "light.bedroom"}]}},
        {"id": 3, "text": "讲个笑话", "expect": {"intent": None}},
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert main(["--config", str(config), "ask", "--jsonl", str(src)]) == 0
    cap = capsys.readouterr()
    assert [json.loads(x)["correct"] for x in cap.out.splitlines()] == [True, False, True]
    assert "path=fast" in cap.err and "lang=zh" in cap.err and "2/3" in cap.err


def test_devset_fast_path_is_accurate(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever the templates claim on the development set must be right (misses go to the LLM)."""
    for name in ("en.jsonl", "zh.jsonl"):
        assert main(["--config", str(config), "ask", "--jsonl", str(DEVSET / name)]) == 0
        out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        fast = [o for o in out if o["path"] == "fast"]
        assert len(fast) >= 0.6 * len(out)
        assert sum(o["correct"] for o in fast) >= 0.95 * len(fast)
        rows = {r["id"]: r for r in map(json.loads, (DEVSET / name).read_text(encoding="utf-8").splitlines())}
        chatter = [o for o in out if rows[o["id"]]["expect"]["intent"] is None]
        assert chatter and all(not i["actions"] for o in chatter for i in o["intents"])


def test_bad_input_is_a_clear_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config), "ask"]) == 2
    assert "nothing to understand" in capsys.readouterr().err
    assert main(["--config", str(config), "ask", "--jsonl", "/no/such/file.jsonl"]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["--config", str(config), "ask", "--inventory", "/no/such/home.json", "hi"]) == 2
    assert "cannot read inventory" in capsys.readouterr().err
