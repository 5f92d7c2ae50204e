"""``hearth wake FILE...``: the wake words found in each file, one JSON line per file."""

from __future__ import annotations

import argparse
import json

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.sources import frames_of
from assistant.audio.wav import read_wav
from assistant.config import Config
from assistant.errors import HearthError
from assistant.wake import verify
from assistant.wake.base import WakeDetector, restart_detector
from assistant.wake.openwakeword import FRAME_SAMPLES

TAIL_S = 0.5
"""Silence appended to each file so a wake word at its very end still completes its window."""


def build_detector(cfg: Config) -> WakeDetector:
    """The detector ``hearth run`` listens with: with ``[wake] verify`` (the default), Whisper
    confirms the model's candidates, so a file wakes here exactly when it would wake Hearth."""
    if not cfg.wake.verify:
        return verify.factory(cfg.wake, None, None)()
    from assistant.stt.whisper import WhisperTranscriber
    from assistant.vad.silero import SileroVad

    vad = SileroVad()
    stt = WhisperTranscriber(cfg.stt, language="en", vad=vad)
    return verify.factory(cfg.wake, stt.phrase_logprob, lambda: vad)()


def run(args: argparse.Namespace, cfg: Config) -> int:
    detector = build_detector(cfg)
    failed = False
    for name in args.files:
        try:
            audio = read_wav(name)
            restart_detector(detector)
            tail = np.zeros(int(TAIL_S * SAMPLE_RATE), dtype=np.int16)
            found = []
            for frame in frames_of(np.concatenate([audio, tail]), FRAME_SAMPLES):
                for d in detector.process(frame):
                    found.append({"word": d.word, "t_s": round(d.t_s, 2), "score": round(d.score, 3)})
            line: dict[str, object] = {"file": name, "detections": found}
        except HearthError as e:
            failed = True
            line = {"file": name, "error": e.message, "code": e.code}
        print(json.dumps(line), flush=True)
    return 1 if failed else 0
