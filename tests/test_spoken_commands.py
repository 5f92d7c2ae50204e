"""Spoken commands in voices that are not Hearth's reply voice, with and without a pause after the
wake word, through one ``hearth run --input`` stream (models loaded once): what was understood
and done, judged from the ``--json`` events."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from tests import audiogen

pytestmark = pytest.mark.slow

VOICES = ("flite:kal16:1.0", "festival:cmu_us_slt_arctic_hts:1.0", "espeak:en-gb-scotland+f2:140")
"""Three synthesizers unlike Piper's joe voice (Hearth's reply voice), at their own speaking rates."""
GAPS_S = (0.0, 0.2, 0.7)
"""Between the wake phrase and the command: one breath, a short and a long pause."""
MIN_CORRECT = 0.85
"""Measured on this stream: 45 of 48 right (0.94), no wrong action. Wake candidates are confirmed by
Whisper reading the wake phrase, and an English transcript the templates cannot use is decoded
again by Whisper base. Before those two: 39 of 48 (espeak 9 of 16); with the wake phrase cut by
timing instead of found in the audio: 34 of 48 and 6 wrong actions."""
MIN_CORRECT_PER_GROUP = 0.75
"""Each voice and each style (one breath, short pause, long pause) on its own; measured at least
0.875 (flite 14 of 16, festival 16, espeak scotland 15; each style 15 of 16)."""


@dataclass(frozen=True)
class Spoken:
    text: str
    intent: str
    actions: frozenset[tuple[str, str, str]]
    """(service, entity_id, data as sorted JSON) of every action expected."""
    slots: tuple[tuple[str, Any], ...] = ()
    """Slots that must be present (questions, which change nothing)."""


def act(service: str, entity_id: str, **data: Any) -> tuple[str, str, str]:
    return (service, entity_id, json.dumps(data, sort_keys=True))


COMMANDS = (
    Spoken("switch on the kitchen light", "HassTurnOn", frozenset({act("light.turn_on", "light.kitchen")})),
    Spoken("turn off the desk lamp", "HassTurnOff", frozenset({act("light.turn_off", "light.desk_lamp")})),
    Spoken("turn on the coffee maker", "HassTurnOn", frozenset({act("switch.turn_on", "switch.coffee_maker")})),
    Spoken("turn off the ceiling fan", "HassTurnOff", frozenset({act("fan.turn_off", "fan.living_room")})),
    Spoken("close the curtains in the bedroom", "HassTurnOff",
           frozenset({act("cover.close_cover", "cover.bedroom_curtains")})),
    Spoken("open the living room blinds", "HassTurnOn",
           frozenset({act("cover.open_cover", "cover.living_room_blinds")})),
    Spoken("set the bedroom light to thirty percent", "HassLightSet",
           frozenset({act("light.turn_on", "light.bedroom", brightness_pct=30)})),
    Spoken("set the thermostat to twenty degrees", "HassClimateSetTemperature",
           frozenset({act("climate.set_temperature", "climate.thermostat", temperature=20)})),
    Spoken("what time is it", "HassGetCurrentTime", frozenset()),
    Spoken("turn on the hallway light", "HassTurnOn", frozenset({act("light.turn_on", "light.hallway")})),
    Spoken("switch off the space heater", "HassTurnOff", frozenset({act("switch.turn_off", "switch.office_heater")})),
    Spoken("make the floor lamp blue", "HassLightSet",
           frozenset({act("light.turn_on", "light.floor_lamp", color_name="blue")})),
    Spoken("pause the tv", "HassMediaPause",
           frozenset({act("media_player.media_pause", "media_player.living_room_tv")})),
    Spoken("turn off the bedside lamp", "HassTurnOff", frozenset({act("light.turn_off", "light.bedside_lamp")})),
    Spoken("what is the temperature in the bedroom", "HassClimateGetTemperature", frozenset(),
           (("area_id", "bedroom"),)),
    Spoken("is the garage door open", "HassGetState", frozenset(), (("name", "Garage Door"),)),
)


@dataclass(frozen=True)
class Segment:
    spoken: Spoken
    voice: str
    gap_s: float
    start_s: float
    end_s: float


def build_stream() -> tuple[np.ndarray, list[Segment]]:
    """Every command in every voice, the gap cycling, each after low room noise and followed by
    silence long enough for the reply; one continuous recording."""
    parts: list[np.ndarray] = []
    segments: list[Segment] = []
    t = 0
    k = 0
    for voice in VOICES:
        for spoken in COMMANDS:
            gap = GAPS_S[k % len(GAPS_S)]
            k += 1
            clip = audiogen.concat(
                audiogen.noise(1.0, "pink", 0.003, seed=k), audiogen.speak("hey jarvis", voice),
                audiogen.silence(gap), audiogen.speak(spoken.text, voice), audiogen.silence(2.2),
            )
            segments.append(Segment(spoken, voice, gap, t / 16000, (t + len(clip)) / 16000))
            parts.append(clip)
            t += len(clip)
    return audiogen.concat(*parts), segments


def judge(understood: dict[str, Any] | None, spoken: Spoken) -> str:
    """"right", "missed" (nothing, or a question/refusal that changed nothing) or "wrong" (an action
    other than the one asked for)."""
    if understood is None:
        return "missed"
    intents = understood["intents"]
    actions = frozenset(act(a["service"], a["entity_id"], **(a.get("data") or {})) for i in intents
                        for a in i["actions"])
    if actions and actions != spoken.actions:
        return "wrong"
    names = [i["intent"] for i in intents]
    slots_ok = all(any(i["slots"].get(k) == v for i in intents) for k, v in spoken.slots)
    return "right" if names == [spoken.intent] and actions == spoken.actions and slots_ok else "missed"


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Segment], list[str], list[dict[str, Any]]]:
    audio, segments = build_stream()
    wav = audiogen.write(tmp_path_factory.mktemp("spoken") / "stream.wav", audio)
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "run", "--input", str(wav), "--output", "none",
                        "--json"], capture_output=True, timeout=1800)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    events = [json.loads(line) for line in r.stdout.decode().splitlines() if line.startswith("{")]
    understood = {e["run_id"]: e["understanding"] for e in events if e["type"] == "Understood"}
    wakes = [e for e in events if e["type"] == "WakeDetected"]
    heard = {e["run_id"]: e["text"] for e in events if e["type"] == "Transcribed"}
    verdicts = []
    for seg in segments:
        runs = [w["run_id"] for w in wakes if seg.start_s < w["t_s"] <= seg.end_s]
        verdicts.append(judge(understood.get(runs[0]) if runs else None, seg.spoken))
        if verdicts[-1] != "right":
            print(f"{verdicts[-1]}: {seg.voice} gap {seg.gap_s} {seg.spoken.text!r} heard "
                  f"{heard.get(runs[0]) if runs else '(no wake)'!r}")
    return segments, verdicts, wakes


def test_spoken_commands_in_other_voices_are_understood(
        outcome: tuple[list[Segment], list[str], list[dict[str, Any]]]) -> None:
    segments, verdicts, wakes = outcome
    assert len(segments) >= 40
    by: dict[str, Counter[str]] = {}
    for seg, v in zip(segments, verdicts, strict=True):
        by.setdefault(seg.voice, Counter())[v] += 1
        by.setdefault("one breath" if seg.gap_s == 0 else f"pause {seg.gap_s} s", Counter())[v] += 1
    for key, c in by.items():
        print(f"{key:40s} right {c['right']}/{sum(c.values())}  wrong {c['wrong']}")
    assert verdicts.count("wrong") == 0, [(s.voice, s.spoken.text) for s, v in zip(segments, verdicts, strict=True)
                                            if v == "wrong"]
    assert verdicts.count("right") / len(verdicts) >= MIN_CORRECT, by
    # every style on its own, too: one breath must not be the weak spot
    for key, c in by.items():
        assert c["right"] / sum(c.values()) >= MIN_CORRECT_PER_GROUP, (key, c)


def test_no_wake_outside_the_commands(outcome: tuple[list[Segment], list[str], list[dict[str, Any]]]) -> None:
    segments, _, wakes = outcome
    for w in wakes:
        assert any(s.start_s < w["t_s"] <= s.end_s for s in segments), w
    per_segment = Counter(next(i for i, s in enumerate(segments) if s.start_s < w["t_s"] <= s.end_s) for w in wakes)
    assert max(per_segment.values()) == 1  # the command itself never wakes Hearth a second time
