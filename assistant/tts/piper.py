"""Piper TTS (piper-tts 1.8): the bundled en_US-joe voice or any Piper .onnx voice with its .json."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant import modelstore
from assistant.errors import ModelError, TtsError
from assistant.tts.sentences import split_sentences

log = logging.getLogger(__name__)


def voice_config_path(model: Path) -> Path:
    """Piper keeps a voice's settings in ``<model>.onnx.json`` (or ``<model>.json``)."""
    for cand in (model.with_name(model.name + ".json"), model.with_suffix(".json")):
        if cand.exists():
            return cand
    raise ModelError(f"Piper voice {model}: its config {model.name}.json is missing beside it")


class PiperSynthesizer:
    """One chunk per sentence so playback can start while later sentences are synthesized.

    The voice loads on first use (or ``load()``) and stays loaded.
    """

    def __init__(self, voice: str = "", length_scale: float = 1.0) -> None:
        self.model_path = (
            modelstore.user_path(voice, "[tts] voice") if voice else modelstore.path("piper-en-joe")
        )
        self.config_path = voice_config_path(self.model_path)
        try:
            cfg = json.loads(self.config_path.read_text(encoding="utf-8"))
            self.sample_rate: int = int(cfg["audio"]["sample_rate"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelError(f"Piper voice config {self.config_path} is unreadable: {e}") from e
        self.length_scale = length_scale
        self._voice: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._voice is not None:
                return
            try:
                self._voice = _load_voice(self.model_path, self.config_path)
            except Exception as e:  # onnxruntime / json errors of a broken voice
                raise ModelError(f"cannot load Piper voice {self.model_path}: {e}") from e

    def synthesize(self, text: str, language: str = "en") -> Iterator[np.ndarray]:
        """Yield int16 audio at ``sample_rate``, one chunk per sentence; nothing for empty text."""
        from piper import SynthesisConfig

        self.load()
        syn = SynthesisConfig(length_scale=self.length_scale)
        for sentence in split_sentences(text):
            try:
                parts = [c.audio_int16_array for c in self._voice.synthesize(sentence, syn_config=syn)]
            except Exception as e:
                raise TtsError(f"Piper failed on {sentence!r}: {e}") from e
            parts = [p for p in parts if len(p)]
            if parts:
                yield np.concatenate(parts).astype(np.int16, copy=False)


def _load_voice(model: Path, config: Path) -> Any:
    """``PiperVoice.load`` with lean onnxruntime options: its default memory arena would keep the
    largest sentence's activations resident for good."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.voice import ESPEAK_DATA_DIR

    from assistant import lean

    session = onnxruntime.InferenceSession(str(model), sess_options=lean.session_options(threads=2),
                                           providers=["CPUExecutionProvider"])
    return PiperVoice(config=PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8"))),
                      session=session, espeak_data_dir=Path(ESPEAK_DATA_DIR), download_dir=Path.cwd())
