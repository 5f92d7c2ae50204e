"""The front-end measurements: word error rate on real recordings against plain faster-whisper, and
the wake word's recall and false accepts, on material Hearth was not tuned on."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import voices
from assistant.config import Config, SttConfig
from assistant.stt import realbench
from assistant.wake import evaluate


def test_normalize_and_word_errors() -> None:
    assert realbench.normalize("Go forward 10 meters.") == ["go", "forward", "ten", "meters"]
    assert realbench.normalize("Mr. Dashwood, ill-disposed; 40%") == ["mister", "dashwood", "ill", "disposed",
                                                                       "forty", "percent"]
    assert realbench.word_errors(["a", "b", "c", "d"], ["a", "x", "c"]) == 2
    assert realbench.word_errors([], ["a"]) == 1


def test_real_recordings_are_installed() -> None:
    recs = realbench.recordings()
    assert len(recs) >= 15 and sum(len(r.reference.split()) for r in recs) >= 100
    assert all(r.audio.dtype == np.int16 and len(r.audio) > 8000 for r in recs)


def test_trigger_policy_counts_like_the_detector() -> None:
    s = np.array([0.1, 0.6, 0.2, 0.6, 0.7, 0.1, 0.9, 0.9, 0.9], dtype=np.float32)
    assert evaluate.detections(s, 0.5, 1, refractory_frames=2) == 4
    assert evaluate.detections(s, 0.5, 2, refractory_frames=2) == 2
    assert evaluate.detections(s, 0.5, 1, refractory_frames=25) == 1


def test_every_test_voice_is_installed_and_speaks() -> None:
    for v in voices.VOICES:
        assert voices.available(v), f"{v}: apt-get install {voices.PACKAGES[v.split(':')[0]]}"
    audio = voices.synthesize("turn on the light", "flite:slt:1.0")
    assert 0.5 < len(audio) / 16000 < 3 and np.abs(audio).max() > 3000


@pytest.mark.slow
def test_hearth_transcribes_real_speech_at_least_as_well_as_plain_faster_whisper() -> None:
    from assistant.home.inventory import bundled_path, load

    r = realbench.measure(SttConfig(), load(bundled_path()).spoken_names())
    print(r["hearth"], r["plain"])
    assert r["hearth"]["words"] >= 100
    assert r["hearth"]["errors"] <= r["plain"]["errors"], r["differences"]


@pytest.mark.slow
def test_wake_word_wakes_on_other_voices_and_never_on_other_sound(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A short version of ``hearth bench --wake`` (the full hour is run by hand)."""
    from assistant.frontbench import wake_report

    cfg = Config().replace("general", data_dir=str(tmp_path_factory.mktemp("data")))
    report = wake_report(cfg, hours=0.1, quick=False)
    configured = next(p for p in report["policies"]
                      if (p["threshold"], p["trigger_level"]) == (cfg.wake.threshold, cfg.wake.trigger_level))
    print({k: configured[k] for k in ("recall", "recall_tuned_voices", "recall_held_out_voices", "false_accepts")})
    assert configured["false_accepts"] == 0
    assert configured["recall"] >= MIN_RECALL
    verified = report["verified"]
    print({k: verified[k] for k in ("recall", "recall_held_out_voices", "false_accepts", "check_ms_mean")})
    assert verified["false_accepts"] == 0
    assert verified["recall"] >= MIN_VERIFIED_RECALL


MIN_RECALL = 0.8
"""Measured 0.82 with the model-only policy (0.5, two frames) on the 150 clips of every voice."""
MIN_VERIFIED_RECALL = 0.95
"""Measured 0.967 with verified candidates (Hearth's default) on the same clips."""
