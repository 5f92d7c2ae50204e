"""Speech synthesizers other than Hearth's reply voice (espeak-ng variants, flite, festival), for
measuring wake word and speech-to-text on voices Hearth was never tuned to.

Each voice is a name such as ``espeak:en-us+f3:150`` (engine, voice, speed) or ``flite:slt:1.2``
(duration stretch) so a measurement can name exactly what it heard. The engines are Debian
packages (``espeak-ng``, ``flite``, ``festival`` with ``festvox-*``); a missing one is an error
that says which package to install.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.wav import read_wav_native, resample
from assistant.errors import TtsError
from assistant.tts.espeak import espeak_wav

log = logging.getLogger(__name__)

PACKAGES = {"espeak": "espeak-ng", "flite": "flite", "festival": "festival festvox-kallpc16k festvox-us-slt-hts"}
"""Debian packages each engine needs."""

VOICES: tuple[str, ...] = (
    "espeak:en-us+f3:150",
    "espeak:en-gb-x-rp:175",
    "espeak:en-us+m3:200",
    "espeak:en-gb-scotland+f2:140",
    "flite:slt:1.0",
    "flite:awb:0.9",
    "flite:rms:1.15",
    "flite:kal16:1.0",
    "festival:cmu_us_slt_arctic_hts:1.0",
    "festival:kal_diphone:0.9",
)
"""Every non-reply voice, with its speaking rate (espeak words per minute, else a duration stretch)."""


def available(voice: str) -> bool:
    """True when the voice's engine is installed."""
    engine = voice.split(":", 1)[0]
    exe = {"espeak": "espeak-ng", "flite": "flite", "festival": "text2wave"}.get(engine)
    if exe is None or shutil.which(exe) is None:
        return False
    if engine == "festival":
        name = voice.split(":")[1]
        return any(Path("/usr/share/festival/voices").glob(f"*/{name}"))
    return True


def synthesize(text: str, voice: str) -> np.ndarray:
    """16 kHz mono int16 of ``text`` in ``voice`` (see ``VOICES`` for the naming)."""
    parts = voice.split(":")
    if len(parts) != 3:
        raise TtsError(f"voice {voice!r}: expected engine:name:rate")
    engine, name, rate = parts
    if not available(voice):
        raise TtsError(f"voice {voice!r} is not installed (Debian: apt-get install {PACKAGES.get(engine, engine)})")
    if engine == "espeak":
        audio, sr = espeak_wav(text, name, int(rate)), 22_050
    elif engine == "flite":
        audio, sr = _run_to_wav(["flite", "-voice", name, "--setf", f"duration_stretch={float(rate)}",
                                 "-t", text, "-o"])
    elif engine == "festival":
        scheme = f"(voice_{name}) (Parameter.set 'Duration_Stretch {float(rate)})"
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(text)
        try:
            audio, sr = _run_to_wav(["text2wave", "-eval", scheme, f.name, "-o"])
        finally:
            Path(f.name).unlink(missing_ok=True)
    else:
        raise TtsError(f"voice {voice!r}: unknown engine {engine!r} (espeak, flite or festival)")
    return _trim(resample(audio, sr, SAMPLE_RATE))


def _run_to_wav(cmd: list[str]) -> tuple[np.ndarray, int]:
    """Run ``cmd`` with an output WAV path appended; (samples, rate)."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out.wav"
        try:
            subprocess.run([*cmd, str(out)], capture_output=True, timeout=120, check=True)
        except subprocess.CalledProcessError as e:
            raise TtsError(f"{cmd[0]} failed: {e.stderr.decode(errors='replace')[-500:]}") from e
        except subprocess.TimeoutExpired as e:
            raise TtsError(f"{cmd[0]} took over 120 s") from e
        return read_wav_native(out)


def _trim(audio: np.ndarray, floor: int = 200) -> np.ndarray:
    """Cut leading and trailing near-silence, so pauses between clips are the ones asked for."""
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > floor)
    if len(loud) == 0:
        return audio
    pad = SAMPLE_RATE // 100
    return audio[max(0, loud[0] - pad): loud[-1] + pad].astype(np.int16)
