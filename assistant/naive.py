"""The naive way to wire the same libraries, for ``hearth bench`` to compare against.

Plain library calls as a first integration would make them: wait out a fixed silence timeout,
transcribe the whole recording with faster-whisper's defaults, send one big prompt with every tool
and the whole home to ``create_chat_completion``, synthesise the whole reply before playing it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from assistant import modelstore
from assistant.config import Config

SILENCE_TIMEOUT_S = 0.7
"""Home Assistant Assist's default trailing silence before it starts transcribing."""


class NaivePipeline:
    description = (
        f"{SILENCE_TIMEOUT_S} s silence timeout, faster-whisper defaults on the whole recording, "
        "create_chat_completion with all tools + home in the prompt, whole reply synthesised before playing"
    )

    def __init__(self, cfg: Config, engines: Any) -> None:
        from faster_whisper import WhisperModel
        from llama_cpp import Llama

        self.engines = engines
        self.whisper = {
            "en": WhisperModel(str(modelstore.path("whisper-tiny-en").parent), device="cpu"),
            "zh": WhisperModel(str(modelstore.path("whisper-base").parent), device="cpu"),
        }
        self.llm = Llama(model_path=str(modelstore.path("gemma3-270m")), chat_format="gemma", n_ctx=8192,
                         verbose=False)
        tools = [{"type": "function", "function": t.as_dict()} for t in engines.tool_specs]
        self.system = (
            "You are a smart home assistant. Call one of these tools by answering with JSON "
            '{"name": ..., "arguments": {...}}.\nTools: ' + json.dumps(tools) +
            "\nHome: " + json.dumps(engines.inventory.to_dict(), ensure_ascii=False)
        )

    def run(self, audio: np.ndarray, language: str, reply: str) -> dict[str, float]:
        """``reply``: the sentence Hearth spoke for the same command, so both synthesise the same text."""
        t: dict[str, float] = {}
        time.sleep(SILENCE_TIMEOUT_S)
        t["eos_detect"] = SILENCE_TIMEOUT_S
        t0 = time.perf_counter()
        segments, _info = self.whisper[language].transcribe(audio.astype(np.float32) / 32768.0, language=language)
        text = " ".join(s.text for s in segments).strip()
        t["stt"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = self.llm.create_chat_completion(
            messages=[{"role": "system", "content": self.system}, {"role": "user", "content": text}],
            max_tokens=96, temperature=0.0,
        )
        self.last_output = out["choices"][0]["message"]["content"] or ""
        t["understand"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        chunks = list(self.engines.tts.synthesize(reply, language))
        t["tts_whole"] = time.perf_counter() - t0
        del chunks
        t["total"] = sum(t.values())
        return t
