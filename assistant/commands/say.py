"""``hearth say TEXT [-o FILE.wav]``: speak with the English or Chinese voice, picked from the text."""

from __future__ import annotations

import argparse
import json
import time

from assistant.audio.sinks import open_sink
from assistant.config import Config
from assistant.errors import TtsError
from assistant.tts.router import build_synthesizer
from assistant.tts.sentences import detect_language


def run(args: argparse.Namespace, cfg: Config) -> int:
    text = args.text.strip()
    if not text:
        raise TtsError('nothing to say: give some text, e.g. hearth say "hello"')
    language = args.language or detect_language(text)
    sink = open_sink(args.output or "speaker", cfg.audio.output_device)
    synth = build_synthesizer(cfg.tts)
    t0 = time.perf_counter()
    samples = 0
    try:
        for chunk in synth.synthesize(text, language):
            samples += len(chunk)
            sink.write(chunk, synth.sample_rate)
    finally:
        sink.close()
    if samples == 0:
        raise TtsError(f"nothing pronounceable in {text!r}")
    if args.output:
        print(json.dumps({"file": args.output, "language": language,
                          "audio_s": round(samples / synth.sample_rate, 3),
                          "seconds": round(time.perf_counter() - t0, 3)}))
    return 0
