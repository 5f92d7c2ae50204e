"""Polyphase resampling, the same filter and alignment as ``scipy.signal.resample_poly``.

Importing ``scipy.signal`` pulls in ``scipy.stats`` and costs ~55 MB of resident memory for one
function; Hearth resamples every Chinese reply (24 kHz voice, 22.05 kHz output), so the import
would be paid by every process that speaks Chinese. This computes the same output from NumPy alone.
"""

from __future__ import annotations

import functools

import numpy as np

KAISER_BETA = 5.0
"""scipy's default window for resample_poly: ``("kaiser", 5.0)``."""


@functools.lru_cache(maxsize=8)
def lowpass(up: int, down: int) -> tuple[np.ndarray, int]:
    """The anti-aliasing FIR filter (times ``up``, float32) and its half length, as resample_poly
    designs it for float32 input; cached, never modified."""
    max_rate = max(up, down)
    half = 10 * max_rate
    taps = 2 * half + 1
    cutoff = 1.0 / max_rate  # relative to Nyquist
    m = np.arange(taps) - half
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(taps, KAISER_BETA)
    h /= h.sum()  # unit gain at DC
    h32 = h.astype(np.float32)
    h32 *= up
    return h32, half


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """``x`` (1-D) resampled by ``up / down`` (integers in lowest terms), zero padding at the ends;
    float32 out, as resample_poly gives for float32 in.

    Output sample ``m`` is ``sum_j x[j] * h[t - j*up]`` with ``t = (m + first) * down``. Outputs
    ``up`` apart meet the same taps (one polyphase branch) over inputs ``down`` apart, so each
    branch is one matrix-vector product over a strided view of the input: no copies."""
    x = np.asarray(x, dtype=np.float32)
    n_in = len(x)
    if up == down == 1 or n_in == 0:
        return x.copy()
    h, half = lowpass(up, down)
    h = np.concatenate([np.zeros(down - half % down, dtype=np.float32), h])  # centres the output
    first = (len(h) - half - 1) // down  # the samples resample_poly drops from the front
    n_out = -(-n_in * up // down)
    span = -(-len(h) // up)
    branches = np.zeros((up, span), dtype=np.float32)  # branch r, tap s: h[r + s*up]
    branches.reshape(-1)[:len(h)] = h
    branches = branches.reshape(span, up).T[:, ::-1]  # reversed: windows run forwards in time
    q_last = ((n_out - 1 + first) * down) // up
    pad = np.zeros(span - 1, dtype=np.float32)
    xpad = np.concatenate([pad, x, np.zeros(max(0, q_last - n_in + 1), dtype=np.float32)])
    windows = np.lib.stride_tricks.sliding_window_view(xpad, span)  # windows[q] ends at x[q]
    out = np.empty(n_out, dtype=np.float32)
    for m0 in range(min(up, n_out)):
        t = (m0 + first) * down
        q0, r = divmod(t, up)
        count = len(range(m0, n_out, up))
        out[m0::up] = windows[q0::down][:count] @ branches[r]
    return out
