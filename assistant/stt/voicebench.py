"""English speech-to-text on synthetic voices Hearth was never tuned to, and the re-decode policies
for an uncertain greedy result (beam on tiny.en, Whisper base, template-matcher arbitration).

Every clip is "hey jarvis" plus a command, in one breath or after a short pause, decoded the way
the pipeline does (fitted window, home-word prompt, the wake phrase as prefix). Each decode that a
policy could use is run once per clip and timed on its own, so every policy is scored on the same
hypotheses and its latency is the sum of the steps it would take. Voices are split into a tuning
part (thresholds are chosen there) and a validation part (reported, never tuned on).

Run: ``python -m assistant.stt.voicebench [--out FILE] [--quick]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE

log = logging.getLogger(__name__)

COMMANDS: tuple[str, ...] = (
    "turn off the counter lights",
    "switch on the living room ceiling",
    "dim the floor lamp to forty percent",
    "lock the back door",
    "unlock the front door",
    "close the garage door",
    "start the robot vacuum",
    "set the bedroom air conditioner to twenty two degrees",
    "what is the outdoor temperature",
    "add milk to my shopping list",
    "is the kitchen window open",
    "turn the desk lamp on",
    "switch the coffee maker off",
    "open the bedroom curtains",
    "close the blinds in the living room",
    "set a timer for five minutes",
    "turn on the space heater in the office",
    "turn off all the lights in the kitchen",
    "make the bedside lamp red",
    "turn on the ceiling fan",
    "shut off the water main",
    "is the back door locked",
    "set the hallway light to fifty percent",
    "turn off the tv",
    "turn the kitchen light on",
    "switch off the bedroom light",
    "mute the tv",
    "what's the weather like",
    "turn the floor lamp off",
    "switch on the hallway light",
    "pause the kitchen speaker",
    "cancel the timer",
)
"""Commands for the demo home, written for this measurement (not from any test set)."""

TUNING_VOICES: tuple[str, ...] = (
    "espeak:en-us:175",
    "espeak:en-gb+m3:160",
    "espeak:en-us+f2:210",
    "flite:kal:1.0",
)
VALIDATION_VOICES: tuple[str, ...] = (
    "espeak:en-gb-x-rp+f4:140",
    "espeak:en-029+m5:180",
    "espeak:en-gb-scotland+m2:150",
    "flite:slt:1.0",
    "flite:rms:1.1",
    "flite:awb:0.95",
    "festival:kal_diphone:1.0",
    "festival:cmu_us_slt_arctic_hts:1.0",
)
GAPS_S = (0.0, 0.3)
"""Between the wake phrase and the command, alternating over the commands."""
WAKE_WORD = "hey_jarvis"
BEAM = 5


def render(voice: str, command: str, gap_s: float) -> np.ndarray:
    """"hey jarvis" then ``command`` in ``voice``, with silence around as the pipeline hears it."""
    from assistant import voices

    lead = np.zeros(int(0.2 * SAMPLE_RATE), dtype=np.int16)
    wake = voices.synthesize("hey jarvis", voice)
    cmd = voices.synthesize(command, voice)
    gap = np.zeros(int(gap_s * SAMPLE_RATE), dtype=np.int16)
    tail = np.zeros(int(0.3 * SAMPLE_RATE), dtype=np.int16)
    return np.concatenate([lead, wake, gap, cmd, tail])


class Decoder:
    """One Whisper model's fitted-window decodes, each step timed (encode, greedy, beam)."""

    def __init__(self, model: Any, prompt: str, prefix: str) -> None:
        self.model, self.prompt, self.prefix = model, prompt, prefix

    def run(self, clip: np.ndarray) -> dict[str, Any]:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        from assistant.stt import window

        model = self.model
        t0 = time.perf_counter()
        features = model.feature_extractor(clip)
        encoded = window.encode(model, features, window.window_frames(features.shape[-1]))
        encode_s = time.perf_counter() - t0
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
        previous = tokenizer.encode(" " + self.prompt.strip()) if self.prompt else []
        bare = model.get_prompt(tokenizer, previous, without_timestamps=True)
        prompt = model.get_prompt(tokenizer, previous, without_timestamps=True, prefix=self.prefix)
        budget = int(window.TOKENS_PER_S * len(clip) / 16000) + window.TOKENS_SLACK + len(prompt) - len(bare)
        out: dict[str, Any] = {"encode_s": encode_s}
        for name, beam in (("greedy", 1), ("beam", BEAM)):
            t1 = time.perf_counter()
            result = model.model.generate(
                encoded, [prompt], beam_size=beam, max_length=len(prompt) + budget, return_scores=True,
                return_no_speech_prob=True, suppress_blank=True,
                suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            )[0]
            tokens = result.sequences_ids[0]
            text = tokenizer.decode(tokens).strip()
            out[name] = {"text": text, "logprob": window._avg_logprob(result),
                         "no_speech": float(result.no_speech_prob),
                         "looped": len(tokens) >= budget or window.loops(text),
                         "s": time.perf_counter() - t1}
        return out


def command_text(heard: str) -> str:
    """The command as the pipeline passes it on: the wake phrase dropped."""
    from assistant.pipeline import strip_wake_words

    return strip_wake_words(heard, (WAKE_WORD,))


class Judge:
    """What the templates make of a text: the intent and its actions (no LLM, nothing executed)."""

    def __init__(self) -> None:
        from assistant.app import build_brain
        from assistant.config import Config

        cfg = Config()
        cfg = dataclasses.replace(cfg, brain=dataclasses.replace(cfg.brain, llm=False))
        self.brain = build_brain(cfg, publish=False)
        self._cache: dict[str, str | None] = {}

    def accepts(self, text: str) -> bool:
        """The pipeline's test of a transcript (``HearthBrain.understands``), wake phrase dropped."""
        return self.brain.understands(command_text(text))

    def meaning(self, text: str) -> str | None:
        """A canonical string of what ``text`` asks, or None when the templates do not understand it."""
        key = text.strip().lower()
        if key not in self._cache:
            u = self.brain.understand(text, execute=False, conversation_id=f"vb{len(self._cache)}")
            if u.path != "fast":
                self._cache[key] = None
            elif not u.intents:  # a question back ("Are you sure …?") is understanding too
                self._cache[key] = u.reply
            else:
                parts = []
                for i in u.intents:
                    d = i.as_dict()
                    parts.append([d["intent"], d["actions"] or sorted(map(str, d["slots"].items()))])
                self._cache[key] = json.dumps(parts, sort_keys=True, default=str)
        return self._cache[key]


def collect(voice_list: Sequence[str], commands: Sequence[str], cache: Path | None) -> list[dict[str, Any]]:
    """Every clip decoded by tiny.en and base (greedy and beam), cached as JSON in ``cache``."""
    from assistant import modelstore
    from assistant.config import SttConfig
    from assistant.home.inventory import bundled_path, load
    from assistant.stt.whisper import WhisperTranscriber
    from assistant.wake import boundary

    done: dict[tuple[str, str], dict[str, Any]] = {}
    if cache is not None and cache.exists():
        for row in json.loads(cache.read_text()):
            done[(row["voice"], row["command"])] = row
    vocab = load(bundled_path()).spoken_names()
    stt = WhisperTranscriber(SttConfig(), language="en", vocabulary=lambda: list(vocab))
    prompt = stt._prompt("en")
    prefix = boundary.spoken(WAKE_WORD)
    from faster_whisper import WhisperModel

    decoders = {name: Decoder(WhisperModel(str(modelstore.path(mid).parent), device="cpu", compute_type="int8",
                                           cpu_threads=2), prompt, prefix)
                for name, mid in (("tiny", "whisper-tiny-en"), ("base", "whisper-base"))}
    warm = np.zeros(SAMPLE_RATE, dtype=np.float32)
    for d in decoders.values():
        d.run(warm)
    rows = []
    for voice in voice_list:
        for n, command in enumerate(commands):
            if (voice, command) in done:
                rows.append(done[(voice, command)])
                continue
            gap = GAPS_S[n % len(GAPS_S)]
            audio = render(voice, command, gap)
            clip = audio.astype(np.float32) / 32768.0
            row = {"voice": voice, "command": command, "gap_s": gap, "audio_s": len(audio) / SAMPLE_RATE,
                   "speech_gate_s": 0.0}
            t0 = time.perf_counter()
            stt.has_speech(audio)
            row["speech_gate_s"] = time.perf_counter() - t0
            for name, d in decoders.items():
                row[name] = d.run(clip)
            rows.append(row)
            log.info("%s | %s | tiny %r (%.2f) | base %r", voice, command, row["tiny"]["greedy"]["text"],
                     row["tiny"]["greedy"]["logprob"], row["base"]["greedy"]["text"])
        if cache is not None:
            cache.write_text(json.dumps(rows + [r for k, r in done.items() if r not in rows], indent=0))
    return rows


# -- policies: which decodes run for a clip, and which text wins -------------------------------

Hyp = dict[str, Any]
Policy = Callable[[dict[str, Any], "Judge"], tuple[str, float]]
"""(row, judge) → (text, seconds spent decoding)."""


def _step(row: dict[str, Any], model: str, kind: str) -> tuple[Hyp, float]:
    return row[model][kind], row[model][kind]["s"]


def current(threshold: float = -0.3) -> Policy:
    """Today: tiny.en greedy, its beam of 5 below ``threshold``."""
    def run(row: dict[str, Any], judge: Judge) -> tuple[str, float]:
        secs = row["tiny"]["encode_s"] + row["tiny"]["greedy"]["s"]
        hyp = row["tiny"]["greedy"]
        if hyp["logprob"] < threshold:
            hyp = row["tiny"]["beam"]
            secs += hyp["s"]
        return hyp["text"], secs
    return run


def base_retry(threshold: float, base_kind: str = "greedy", tiny_beam: bool = True,
               beam_threshold: float = -0.3, pick: str = "base") -> Policy:
    """Tiny as today; if the result's log-probability is still below ``threshold``, Whisper base
    decodes too. ``pick``: "base" takes base's text; "matcher" takes whichever the templates
    understand (tiny's first), "logprob" the likelier one."""
    def run(row: dict[str, Any], judge: Judge) -> tuple[str, float]:
        text, secs = current(beam_threshold if tiny_beam else -99.0)(row, judge)
        tiny_lp = row["tiny"]["greedy"]["logprob"]
        if tiny_beam and tiny_lp < beam_threshold:
            tiny_lp = row["tiny"]["beam"]["logprob"]
        if tiny_lp >= threshold:
            return text, secs
        b = row["base"][base_kind]
        secs += row["base"]["encode_s"] + b["s"]
        if pick == "base":
            return b["text"], secs
        if pick == "logprob":
            return (b["text"] if b["logprob"] > tiny_lp else text), secs
        first, second = (b["text"], text) if pick == "base_first" else (text, b["text"])
        if judge.accepts(first):
            return first, secs
        if judge.accepts(second):
            return second, secs
        return (b["text"] if b["logprob"] > tiny_lp else text), secs
    return run


def matcher_retry(base_kind: str = "greedy", then_beam: bool = False, threshold: float = 0.0) -> Policy:
    """Tiny as today; base only when the templates do not understand tiny's text (and its
    log-probability is below ``threshold``), and base's text only when the templates understand it."""
    def run(row: dict[str, Any], judge: Judge) -> tuple[str, float]:
        text, secs = current()(row, judge)
        if judge.accepts(text):
            return text, secs
        tiny = row["tiny"]["greedy"]
        lp = row["tiny"]["beam"]["logprob"] if tiny["logprob"] < -0.3 else tiny["logprob"]
        if lp >= threshold:
            return text, secs
        b = row["base"][base_kind]
        secs += row["base"]["encode_s"] + b["s"]
        if judge.accepts(b["text"]):
            return b["text"], secs
        if then_beam and base_kind == "greedy":
            bb = row["base"]["beam"]
            secs += bb["s"]
            if judge.accepts(bb["text"]):
                return bb["text"], secs
        return text, secs
    return run


def score(rows: Iterable[dict[str, Any]], policy: Policy, judge: Judge) -> dict[str, Any]:
    """WER, exact transcripts, understood-right rate and decode time over ``rows``."""
    from assistant.stt.realbench import normalize, word_errors

    errors = words = exact = right = wrong = 0
    understood_refs = 0
    secs: list[float] = []
    n = 0
    for row in rows:
        n += 1
        text, s = policy(row, judge)
        heard = command_text(text)
        ref, hyp = normalize(row["command"]), normalize(heard)
        errors += word_errors(ref, hyp)
        words += len(ref)
        exact += ref == hyp
        want = judge.meaning(row["command"])
        if want is not None:
            understood_refs += 1
            got = judge.meaning(heard)
            right += got == want
            wrong += got is not None and got != want and not got.endswith("?")
        secs.append(s + row["speech_gate_s"])
    secs.sort()
    return {"clips": n, "wer": round(errors / max(words, 1), 4), "exact": round(exact / max(n, 1), 3),
            "intent_right": round(right / max(understood_refs, 1), 3), "intent_clips": understood_refs,
            "wrong": wrong,
            "p50_s": round(secs[len(secs) // 2], 3) if secs else None,
            "p95_s": round(secs[min(len(secs) - 1, int(0.95 * len(secs)))], 3) if secs else None}


POLICIES: dict[str, Policy] = {
    "current (tiny greedy, beam<-0.3)": current(),
    "tiny greedy only": current(-99.0),
    "tiny beam<-0.2": current(-0.2),
    **{f"+base greedy<{t}": base_retry(t) for t in (-0.3, -0.4, -0.5, -0.6)},
    **{f"+base greedy<{t}, matcher picks": base_retry(t, pick="matcher") for t in (-0.2, -0.3, -0.4, -0.5)},
    **{f"+base beam<{t}, matcher picks": base_retry(t, base_kind="beam", pick="matcher") for t in (-0.3, -0.4)},
    **{f"+base beam<{t}, base first if understood": base_retry(t, base_kind="beam", pick="base_first")
       for t in (-0.3, -0.4)},
    "+base greedy if templates fail": matcher_retry(),
    "+base greedy then beam if templates fail": matcher_retry(then_beam=True),
    "+base beam if templates fail": matcher_retry("beam"),
    **{f"+base beam if templates fail and <{t}": matcher_retry("beam", threshold=t) for t in (-0.2, -0.3)},
    "shipped: +base beam if templates fail and <-0.1": matcher_retry("beam", threshold=-0.1),
    "base greedy (no tiny)": lambda r, j: (r["base"]["greedy"]["text"],
                                           r["base"]["encode_s"] + r["base"]["greedy"]["s"]),
}


def report(rows: list[dict[str, Any]], judge: Judge) -> dict[str, Any]:
    out: dict[str, Any] = {}
    parts = {"tuning": TUNING_VOICES, "validation": VALIDATION_VOICES}
    for name, policy in POLICIES.items():
        entry: dict[str, Any] = {}
        for part, vs in parts.items():
            entry[part] = score([r for r in rows if r["voice"] in vs], policy, judge)
            per_voice = {v: score([r for r in rows if r["voice"] == v], policy, judge) for v in vs}
            entry[part]["per_voice"] = {v: {k: s[k] for k in ("wer", "exact", "intent_right", "wrong")}
                                        for v, s in per_voice.items()}
        out[name] = entry
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hearth-voicebench.json",
                    help="decoded clips (JSON), reused by the next run")
    ap.add_argument("--out", type=Path, default=None, help="write the report here as JSON")
    ap.add_argument("--quick", action="store_true", help="two voices, eight commands")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    vs = [*TUNING_VOICES, *VALIDATION_VOICES]
    cmds = COMMANDS
    if args.quick:
        vs, cmds = [TUNING_VOICES[0], VALIDATION_VOICES[-1]], COMMANDS[:8]
    rows = collect(vs, cmds, args.cache)
    judge = Judge()
    result = report(rows, judge)
    for name, entry in result.items():
        t, v = entry["tuning"], entry["validation"]
        print(f"{name:45s} tune wer {t['wer']:.3f} exact {t['exact']:.3f} intent {t['intent_right']:.3f} "
              f"p50 {t['p50_s']:.2f} p95 {t['p95_s']:.2f} | val wer {v['wer']:.3f} exact {v['exact']:.3f} "
              f"intent {v['intent_right']:.3f} p50 {v['p50_s']:.2f} p95 {v['p95_s']:.2f}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
