"""Whisper on real synthetic speech: English and Chinese; silence and noise never become text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.config import SttConfig
from assistant.errors import ModelError, SttError
from assistant.stt import window
from assistant.stt.whisper import WhisperTranscriber
from tests.audiogen import concat, noise, silence, speak, speak_again, write


@pytest.fixture(scope="module")
def stt() -> WhisperTranscriber:
    return WhisperTranscriber(SttConfig(), "en")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.mark.parametrize(
    ("text", "voice", "keys"),
    [("Turn on the kitchen light.", "piper", {"turn", "kitchen", "light"}),
     ("Set a timer for ten minutes.", "piper", {"timer", "minutes"}),
     ("Close the garage door please.", "espeak", {"close", "garage", "door"})],
)
def test_english_key_words(stt: WhisperTranscriber, text: str, voice: str, keys: set[str]) -> None:
    """Piper says a sentence a little differently each time (its duration and pitch noise): two of
    three renditions must come through whole; espeak says it the same way every time."""
    renditions = [speak(text, voice)]
    if voice == "piper":
        renditions += [speak_again(text) for _ in range(2)]
    heard = []
    for audio in renditions:
        result = stt.transcribe(concat(silence(0.3), audio, silence(0.3)))
        assert result.language == "en" and result.audio_s > 1.0 and result.seconds > 0
        heard.append(result.text)
    assert sum(keys <= _words(h) for h in heard) >= (2 if voice == "piper" else 1), heard


@pytest.mark.parametrize(
    "audio_fn",
    [lambda: silence(3.0), lambda: noise(3.0, "white", 0.05), lambda: noise(3.0, "pink", 0.1),
     lambda: noise(1.0, "white", 0.3), lambda: silence(0.01)],
    ids=["silence", "white", "pink", "loud-white", "tiny"],
)
def test_silence_and_noise_give_no_text(stt: WhisperTranscriber, audio_fn) -> None:  # type: ignore[no-untyped-def]
    for language in ("en", "zh"):
        assert stt.transcribe(audio_fn(), language).text == ""


def _chars(text: str) -> set[str]:
    return set(re.findall(r"[\u4e00-\u9fff]", text))


@pytest.mark.parametrize("text", ["打开客厅的灯。", "现在几点了？", "把空调调到二十六度。"])
def test_chinese_transcript_of_chinese_tts(stt: WhisperTranscriber, text: str) -> None:
    result = stt.transcribe(concat(silence(0.3), speak(text, lang="zh"), silence(0.3)), "zh")
    expected = _chars(text)
    got = _chars(result.text)
    assert result.language == "zh"
    assert len(expected & got) / len(expected) >= 0.6, result.text


def test_auto_picks_the_spoken_language(stt: WhisperTranscriber) -> None:
    zh = stt.transcribe(concat(speak("请关闭卧室的窗帘。", lang="zh"), silence(0.3)), "auto")
    en = stt.transcribe(concat(speak("Please close the bedroom curtains."), silence(0.3)), "auto")
    assert zh.language == "zh" and len(_chars(zh.text)) >= 4
    assert en.language == "en" and {"bedroom", "curtains"} <= _words(en.text)


def test_bad_input_is_a_clear_error(stt: WhisperTranscriber, tmp_path: Path) -> None:
    with pytest.raises(SttError, match="mono"):
        stt.transcribe(np.zeros((100, 2), dtype=np.int16))
    with pytest.raises(SttError, match="unsupported language"):
        stt.transcribe(silence(1.0), "fr")
    broken = WhisperTranscriber(SttConfig(model=str(tmp_path)), "en")
    with pytest.raises(ModelError, match=r"model\.bin"):
        broken.transcribe(speak("Hello there."))
    assert stt.transcribe(speak("Good night.")).text  # still serving after errors


def test_warm_loads_the_model(stt: WhisperTranscriber) -> None:
    fresh = WhisperTranscriber(SttConfig(), "en", vad=stt.vad)
    fresh.warm()
    assert len(fresh._models) == 2  # tiny.en, and base for commands tiny.en mishears
    alone = WhisperTranscriber(SttConfig(second_opinion=False), "en", vad=stt.vad)
    alone.warm()
    assert len(alone._models) == 1


def test_transcribe_command_json(tmp_path: Path) -> None:
    good = write(tmp_path / "cmd.wav", speak("Turn off the bedroom fan."))
    quiet = write(tmp_path / "quiet.wav", silence(1.0))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "transcribe", str(good), str(bad), str(quiet),
         "--language", "en"], capture_output=True, text=True, timeout=120)
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert proc.returncode == 1 and len(lines) == 3
    assert {"bedroom", "fan"} <= _words(lines[0]["text"])
    assert set(lines[0]) == {"file", "text", "language", "audio_s", "seconds"}
    assert lines[1]["file"] == str(bad) and str(bad) in lines[1]["error"]
    assert lines[2]["text"] == "" and lines[2]["audio_s"] == 1.0


def test_fitted_window_sizes_and_loop_detection() -> None:
    assert window.window_frames(150) == window.MIN_WINDOW_FRAMES
    assert window.window_frames(window.MAX_FITTED_FRAMES) == window.MAX_FITTED_FRAMES + window.PAD_FRAMES
    assert window.window_frames(window.MAX_FITTED_FRAMES + 1) == window.FULL_FRAMES
    assert window.window_frames(1001) == 1700  # whole seconds: few encoder shapes in a long-running process
    assert window.loops("Turn off the lights. Turn off the lights. Turn off the lights. Turn off the")
    assert window.loops("打开厨房的灯打开厨房的灯打开厨房的")
    assert not window.loops("Turn on the kitchen light and the hall light.")
    assert not window.loops("very very bright, please")  # short repeats are ordinary speech
    assert not window.loops("打开打开灯")


@pytest.mark.parametrize(("text", "lang", "keys"), [
    ("Turn on the kitchen light.", "en", {"kitchen", "light"}),
    ("打开厨房的灯。", "zh", {"厨房", "灯"}),
])
def test_fitted_window_agrees_with_the_full_window(stt: WhisperTranscriber, text: str, lang: str,
                                                   keys: set[str]) -> None:
    audio = concat(silence(0.3), speak(text, lang=lang), silence(0.2))
    clip = audio.astype(np.float32) / 32768.0
    model = stt._model(lang)
    fitted = window.decode(model, clip, lang, beam_size=1, prompts={"zh": SttConfig().initial_prompt_zh})
    assert fitted is not None and fitted.language == lang
    full = WhisperTranscriber(SttConfig(fit_window=False), lang, vad=stt.vad).transcribe(audio, lang).text
    for key in keys:
        assert key in fitted.text.lower() and key in full.lower()
    auto = window.decode(stt._model("auto"), clip, "auto", beam_size=1)
    assert auto is not None and auto.language == lang
    long = np.tile(clip, int(25 / (len(clip) / 16000)))  # beyond the fitted range: Whisper's own window
    assert window.decode(model, long, lang, beam_size=1) is None


def test_home_names_steer_the_spelling(stt: WhisperTranscriber) -> None:
    """Whisper alone mishears synthetic Mandarin device names ("走廊灯" as "左廊东"); the home's names fix most."""
    import difflib

    from assistant.home import inventory

    home = inventory.load(inventory.bundled_path())
    plain = WhisperTranscriber(SttConfig(home_words=False), "zh", vad=stt.vad)
    hinted = WhisperTranscriber(SttConfig(), "zh", vad=stt.vad, vocabulary=home.spoken_names)
    assert "客厅" in hinted._prompt("zh") and "kitchen light" in hinted._prompt("en")
    assert "客厅" not in plain._prompt("zh")
    said = ["把走廊灯打开", "打开百叶窗", "关上窗帘", "关闭咖啡机", "打开卧室的窗帘"]
    errors = {"plain": 0.0, "hinted": 0.0}
    for text in said:
        audio = concat(noise(0.25, level=0.001), speak(text, lang="zh"), silence(0.2))
        for name, t in (("plain", plain), ("hinted", hinted)):
            heard = re.sub(r"[^\u4e00-\u9fff]", "", t.transcribe(audio, "zh").text)
            errors[name] += 1 - difflib.SequenceMatcher(None, heard, text).ratio()
    assert errors["hinted"] < errors["plain"], errors
    assert hinted.transcribe(silence(1.0), "zh").text == ""  # the names never appear from silence


def test_second_opinion_only_for_doubtful_commands_the_templates_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whisper base decodes again only what tiny.en doubts and the templates cannot use; its text
    wins only when the templates can use it."""
    stt = WhisperTranscriber(SttConfig(), "en")
    calls: list[str] = []

    def decoded(text: str, logprob: float) -> window.Decoded:
        return window.Decoded(text, "en", logprob, 0.01, 1.0)

    base = decoded("Hey Jarvis, lock the back door.", -0.2)
    monkeypatch.setattr(stt, "_model", lambda language: calls.append(language) or object())
    monkeypatch.setattr(window, "decode", lambda *a, **k: base)
    clip = np.zeros(16000, dtype=np.float32)
    understood = {"Hey Jarvis, lock the back door.", "Hey Jarvis, turn off the tv."}

    def accept(text: str) -> bool:
        return text in understood

    tiny_ok = decoded("Hey Jarvis, turn off the tv.", -0.5)
    assert stt._second_opinion(tiny_ok, clip, "Hey Jarvis,", accept) is tiny_ok and not calls
    confident = decoded("Hey Jarvis, get the coffee going.", -0.05)  # left to the LLM as it is
    assert stt._second_opinion(confident, clip, "Hey Jarvis,", accept) is confident and not calls
    misheard = decoded("Hey Jarvis, lock the Mac door.", -0.4)
    assert stt._second_opinion(misheard, clip, "Hey Jarvis,", accept) is base and calls == ["zh"]
    assert stt._second_opinion(misheard, clip, "Hey Jarvis,", lambda t: False) is misheard
    assert not WhisperTranscriber(SttConfig(second_opinion=False), "en").second_opinion
    assert not WhisperTranscriber(SttConfig(model="/x"), "en").second_opinion  # a model of one's own
