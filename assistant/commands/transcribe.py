"""``hearth transcribe FILE...``: one JSON line per file; a bad file gets an "error" line, the rest go on."""

from __future__ import annotations

import argparse
import json
import logging

from assistant.audio.wav import read_wav
from assistant.config import Config
from assistant.errors import HearthError
from assistant.stt.whisper import WhisperTranscriber

log = logging.getLogger(__name__)


def run(args: argparse.Namespace, cfg: Config) -> int:
    language = args.language or cfg.general.language
    stt = WhisperTranscriber(cfg.stt, language)
    failed = False
    for name in args.files:
        try:
            audio = read_wav(name)
            result = stt.transcribe(audio, language)
            line = {"file": name, "text": result.text, "language": result.language,
                    "audio_s": round(result.audio_s, 3), "seconds": round(result.seconds, 3)}
        except HearthError as e:
            failed = True
            line = {"file": name, "error": e.message, "code": e.code}
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 1 if failed else 0
