"""``hearth demo``: a bundled recording ("hey jarvis, turn on the kitchen light") through the whole pipeline."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from assistant import app
from assistant.config import Config
from assistant.console import EventPrinter
from assistant.events import Understood

DEMO_WAV = Path(__file__).resolve().parent.parent / "data" / "demo_hey_jarvis_kitchen_light.wav"


def run(args: argparse.Namespace, cfg: Config) -> int:
    wav = Path(args.input) if args.input else DEMO_WAV
    # The demo needs no microphone, speaker or broker: the reply goes to a WAV file.
    cfg = cfg.replace("mqtt", enabled=False)
    print(f"Hearth demo: {wav.name} → wake → listen → transcribe → think → speak → {args.output}")
    t0 = time.monotonic()
    assistant = app.build_assistant(cfg, input_spec=str(wav), output_spec=args.output)
    loads = " ".join(f"{k} {v * 1000:.0f} ms" for k, v in assistant.load_s.items())
    print(f"models loaded in {time.monotonic() - t0:.2f} s ({loads})")
    understood: list[Understood] = []
    assistant.bus.subscribe(understood.append, Understood)
    assistant.bus.subscribe(EventPrinter())
    try:
        assistant.run()
    finally:
        assistant.close()
    if not understood:
        print("no command was understood (is the wake word in the recording?)")
        return 1
    print(f"reply written to {args.output}")
    return 0
