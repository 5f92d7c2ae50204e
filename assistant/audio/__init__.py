"""Audio: the internal format (16 kHz mono int16), sources, sinks and buffers."""

from __future__ import annotations

SAMPLE_RATE = 16_000
"""Internal sample rate, Hertz."""
SAMPLE_WIDTH = 2
"""Bytes per sample (int16)."""
CHANNELS = 1
