"""``hearth bench --stt`` / ``--wake``: the audio front end measured on material it was not tuned on.

``--stt``: word error rate and time of Hearth's transcriber on real human recordings against plain
faster-whisper with its defaults, same model, same run. ``--wake``: wake-word recall on synthesizer
voices other than Hearth's reply voice, split into the voices the trigger policy was chosen on and
held-out ones, and false accepts on generated hours of other talk, music and TV-like chatter.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import numpy as np

from assistant import voices
from assistant.config import Config

log = logging.getLogger(__name__)

TUNED_VOICES = tuple(v for v in voices.VOICES if v.startswith("espeak:"))
"""Voices the wake policy was chosen on; every other voice is held out."""
POLICIES = ((0.5, 1), (0.5, 2), (0.4, 1), (0.3, 1), (0.3, 2), (0.2, 2), (0.15, 2), (0.1, 3))
"""(threshold, trigger level) pairs judged; the configured one is added."""


def stt_report(cfg: Config, runs: int) -> dict[str, Any]:
    from assistant.home.inventory import bundled_path, load
    from assistant.stt import realbench

    vocab = load(bundled_path()).spoken_names()
    return realbench.measure(cfg.stt, vocab, runs=runs)


def wake_report(cfg: Config, hours: float, quick: bool) -> dict[str, Any]:
    from assistant.wake import evaluate
    from assistant.wake.openwakeword import OpenWakeWordDetector

    installed = [v for v in voices.VOICES if voices.available(v)]
    detector = OpenWakeWordDetector(cfg.wake)
    word = detector.words[0]
    t0 = time.perf_counter()
    clips = list(evaluate.recall_clips(installed[:3] if quick else installed))
    positives = [evaluate.Trace(name, voice, evaluate.score_clip(detector, audio, word))
                 for name, voice, audio in clips]
    negatives_audio = evaluate.negative_audio([v for v in installed if not v.startswith("festival:")], hours,
                                              cfg.data_dir / "bench")
    negative_hours = len(negatives_audio) / 16000 / 3600
    negatives = evaluate.score_clip(detector, negatives_audio, word)
    policies = {evaluate.Policy(t, k) for t, k in POLICIES}
    policies.add(evaluate.Policy(cfg.wake.threshold, cfg.wake.trigger_level))
    judged = evaluate.judge(positives, negatives, negative_hours, sorted(policies, key=lambda p: (-p.threshold,
                                                                                                 p.trigger_level)))
    for row in judged:
        per_voice = row["recall_per_voice"]
        assert isinstance(per_voice, dict)
        tuned = [r for v, r in per_voice.items() if v in TUNED_VOICES]
        held = [r for v, r in per_voice.items() if v not in TUNED_VOICES]
        row["recall_tuned_voices"] = round(float(np.mean(tuned)), 3) if tuned else None
        row["recall_held_out_voices"] = round(float(np.mean(held)), 3) if held else None
    verified = verified_report(cfg, word, positives, [a for _, _, a in clips], negatives, negatives_audio,
                               negative_hours)
    return {"word": word, "verified": verified,
            "configured": {"threshold": cfg.wake.threshold, "trigger_level": cfg.wake.trigger_level},
            "positive_clips": len(positives), "negative_hours": round(negative_hours, 3),
            "max_negative_score": round(float(negatives.max()) if len(negatives) else 0.0, 3),
            "policies": judged, "seconds": round(time.perf_counter() - t0, 1)}


def verified_report(cfg: Config, word: str, positives: list[Any], audios: list[np.ndarray], negatives: np.ndarray,
                    negatives_audio: np.ndarray, negative_hours: float) -> dict[str, Any]:
    """The verified policy (``assistant.wake.verify``) on the same clips and hours: recall, false
    accepts, and what the second look adds to the wake decision's time."""
    from assistant.stt.whisper import WhisperTranscriber
    from assistant.vad.silero import SileroVad
    from assistant.wake import evaluate, verify

    w = cfg.wake
    vad = SileroVad()
    stt = WhisperTranscriber(cfg.stt, "en", vad=vad)
    stt.warm("en")
    check = verify.PhraseCheck(stt.phrase_logprob, vad, w.verify_min_logprob)

    def decide(scores: np.ndarray, audio: np.ndarray) -> list[dict[str, Any]]:
        return evaluate.verified_triggers(scores, audio, word, check, candidate_threshold=w.candidate_threshold,
                                          delay_frames=w.verify_delay_frames)

    per_clip = [decide(t.scores, a) for t, a in zip(positives, audios, strict=True)]
    hits = [any(c["accepted"] for c in cs) for cs in per_clip]
    by_voice: dict[str, list[bool]] = {}
    for t, hit in zip(positives, hits, strict=True):
        by_voice.setdefault(t.voice, []).append(hit)
    neg = decide(negatives, negatives_audio)
    accepted = [c for c in neg if c["accepted"]]
    checks_ms = [c["ms"] for cs in [*per_clip, neg] for c in cs]
    # When the verified wake is decided, against the model-only configured policy on the same clip.
    offsets = []
    for t, cs in zip(positives, per_clip, strict=True):
        model_only = evaluate.trigger_frames(t.scores, w.threshold, w.trigger_level)
        first = next((c for c in cs if c["accepted"]), None)
        if model_only and first is not None:
            offsets.append((first["frame"] - model_only[0]) * evaluate.FRAME_SAMPLES / 16)
    tuned = [float(np.mean(v)) for k, v in by_voice.items() if k in TUNED_VOICES]
    held = [float(np.mean(v)) for k, v in by_voice.items() if k not in TUNED_VOICES]
    rejected = [c["logprob"] for c in neg if not c["accepted"]]
    return {
        "candidate_threshold": w.candidate_threshold, "min_logprob": w.verify_min_logprob,
        "delay_frames": w.verify_delay_frames, "recall": round(float(np.mean(hits)), 3) if hits else 0.0,
        "recall_per_voice": {k: round(float(np.mean(v)), 3) for k, v in by_voice.items()},
        "recall_tuned_voices": round(float(np.mean(tuned)), 3) if tuned else None,
        "recall_held_out_voices": round(float(np.mean(held)), 3) if held else None,
        "false_accepts": len(accepted), "false_accepts_per_hour": round(len(accepted) / negative_hours, 2),
        "false_accepts_what": [{"at_s": round((c["frame"] + 1) * 0.08, 2),
                                "material": evaluate.material_at((c["frame"] + 1) * 0.08),
                                "score": c["score"], "logprob": c["logprob"]} for c in accepted],
        "negative_candidates": len(neg), "max_rejected_logprob": max(rejected) if rejected else None,
        "min_accepted_logprob_positives": min((c["logprob"] for cs in per_clip for c in cs if c["accepted"]),
                                              default=None),
        "check_ms_mean": round(float(np.mean(checks_ms)), 1) if checks_ms else 0.0,
        "check_ms_max": round(float(np.max(checks_ms)), 1) if checks_ms else 0.0,
        "decided_after_model_only_ms_median": round(float(np.median(offsets)), 1) if offsets else None,
        "decided_after_model_only_ms_mean": round(float(np.mean(offsets)), 1) if offsets else None,
    }


def main(cfg: Config, *, stt: bool, wake: bool, hours: float, quick: bool, runs: int | None,
         as_json: bool) -> int:
    report: dict[str, Any] = {}
    if stt:
        report["stt"] = stt_report(cfg, runs or (1 if quick else 2))
    if wake:
        report["wake"] = wake_report(cfg, 0.05 if quick else hours, quick)
    if as_json:
        print(json.dumps(report))
        return 0
    if "stt" in report:
        r = report["stt"]
        print(f"speech-to-text on {r['recordings']} real recordings ({r['audio_s']} s, {r['hearth']['words']} words)")
        for name in ("hearth", "plain"):
            s = r[name]
            print(f"  {name:7s} WER {s['wer']:.3f} ({s['errors']} errors)  "
                  f"p50 {s['p50_s']:.2f} s  total {s['total_s']:.1f} s")
    if "wake" in report:
        w = report["wake"]
        print(f"wake word {w['word']}: {w['positive_clips']} clips, {w['negative_hours']} h without it "
              f"(max score {w['max_negative_score']})")
        for row in w["policies"]:
            print(f"  threshold {row['threshold']:.2f} x{row['trigger_level']}: recall {row['recall']:.3f} "
                  f"(tuned voices {row['recall_tuned_voices']}, held out {row['recall_held_out_voices']}), "
                  f"false accepts {row['false_accepts']} ({row['false_accepts_per_hour']}/h)")
        v = w["verified"]
        print(f"  verified (candidates at {v['candidate_threshold']:.2f} x1, phrase log-probability >= "
              f"{v['min_logprob']}): recall {v['recall']:.3f} (tuned voices {v['recall_tuned_voices']}, held out "
              f"{v['recall_held_out_voices']}), false accepts {v['false_accepts']} ({v['false_accepts_per_hour']}/h); "
              f"check {v['check_ms_mean']:.0f} ms mean, {v['check_ms_max']:.0f} ms max; decided "
              f"{v['decided_after_model_only_ms_median']} ms (median) after the model-only policy")
    return 0
