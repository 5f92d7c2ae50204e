"""WAV reading and writing, and conversion of any PCM/float layout to Hearth's 16 kHz mono int16."""

from __future__ import annotations

import io
import logging
import math
import warnings
from pathlib import Path

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.polyphase import resample_poly
from assistant.errors import AudioError

log = logging.getLogger(__name__)


def to_int16(audio: np.ndarray) -> np.ndarray:
    """Any sample type scipy returns (u8, i16, i32 incl. 24-bit, f32/f64) → int16, same shape."""
    kind = audio.dtype.kind
    if kind == "f":
        return (np.clip(np.nan_to_num(audio), -1.0, 1.0) * 32767.0).astype(np.int16)
    if audio.dtype == np.uint8:
        return ((audio.astype(np.int16) - 128) << 8).astype(np.int16)
    if audio.dtype == np.int16:
        return audio
    if audio.dtype == np.int32:  # 24-bit data comes left-justified in int32
        return (audio >> 16).astype(np.int16)
    if audio.dtype == np.int64:
        return (audio >> 48).astype(np.int16)
    raise AudioError(f"unsupported sample type {audio.dtype}")


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels of a (samples, channels) array; 1-D input is returned unchanged."""
    if audio.ndim == 1:
        return audio
    return audio.astype(np.float32).mean(axis=1).round().astype(audio.dtype)


def resample(audio: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Polyphase resampling of mono int16 audio; exact rational ratio, no drift over long files."""
    if rate == target or len(audio) == 0:
        return audio.astype(np.int16, copy=False)
    g = math.gcd(rate, target)
    out = resample_poly(audio.astype(np.float32), target // g, rate // g)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def read_wav_native(path: str | Path | io.BytesIO) -> tuple[np.ndarray, int]:
    """(mono int16 samples, sample rate) at the file's own rate; AudioError names the file."""
    from scipy.io import wavfile  # only when a file is read: scipy.io costs ~25 MB resident

    name = str(path) if not isinstance(path, io.BytesIO) else "<bytes>"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rate, data = wavfile.read(path if isinstance(path, io.BytesIO) else str(path))
    except FileNotFoundError as e:
        raise AudioError(f"{name}: no such file") from e
    except IsADirectoryError as e:
        raise AudioError(f"{name}: is a directory, not a WAV file") from e
    except PermissionError as e:
        raise AudioError(f"{name}: cannot read it (permission denied)") from e
    except (ValueError, EOFError, OSError, TypeError, KeyError) as e:
        raise AudioError(
            f"{name}: not a readable WAV file ({e}); give a RIFF/WAVE file with PCM or float samples"
        ) from e
    except Exception as e:  # scipy raises struct.error etc. on garbage headers
        raise AudioError(f"{name}: corrupt WAV header ({type(e).__name__}: {e})") from e
    for w in caught:
        if "EOF" in str(w.message):
            raise AudioError(f"{name}: truncated WAV file ({w.message}); re-record or re-export it")
    if data.size == 0:
        raise AudioError(f"{name}: the WAV file holds no audio samples")
    if rate <= 0:
        raise AudioError(f"{name}: invalid sample rate {rate}")
    return to_mono(to_int16(data)), int(rate)


def read_wav(path: str | Path) -> np.ndarray:
    """Any WAV (any rate, channels, 8/16/24/32-bit PCM or float) → 16 kHz mono int16."""
    audio, rate = read_wav_native(path)
    if rate != SAMPLE_RATE:
        log.debug("%s: resampling %d Hz → %d Hz", path, rate, SAMPLE_RATE)
    return resample(audio, rate)


def write_wav(path: str | Path, audio: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write mono int16 (float input in [-1, 1] is converted)."""
    from scipy.io import wavfile

    data = to_int16(np.asarray(audio))
    p = Path(path)
    try:
        if p.parent and not p.parent.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
        wavfile.write(str(p), int(rate), data)
    except OSError as e:
        raise AudioError(f"{p}: cannot write the WAV file ({e.strerror or e})") from e
