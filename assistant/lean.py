"""Memory economies for a process that holds every model: a small box has ~1 GB to spare.

Each measure here keeps resident memory down without changing what any model computes:
onnxruntime sessions without memory arenas (an arena keeps the largest activation it ever held),
freed heap handed back to the system after each model load, at most two malloc arenas for the
worker threads, MKL's own cache of freed buffers off (see ``hand_back_large_buffers``), and
openWakeWord's training helper (scikit-learn, ~90 MB) left unimported.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import logging
import os
import sys
import types
from typing import Any

log = logging.getLogger(__name__)

M_ARENA_MAX = -8
"""glibc's mallopt parameter for the number of malloc arenas."""
MALLOC_ARENAS = 2
M_MMAP_THRESHOLD = -3
"""glibc's mallopt parameter for the size from which an allocation gets its own memory mapping."""
MMAP_THRESHOLD_BYTES = 1 << 20

_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        try:
            lib = ctypes.CDLL(name) if name else None
            _libc = lib if lib is not None and hasattr(lib, "malloc_trim") else False
        except OSError:
            _libc = False
    return _libc


def session_options(threads: int = 1, *, arena: bool = False) -> Any:
    """onnxruntime options for a small model run frame by frame: no memory arena, no memory
    pattern (both keep peak-sized buffers alive between runs), ``threads`` intra-op threads.
    ``arena``: keep both, for a session that only ever sees one size of input (its arena stays
    that small, and each run is cheaper than without one)."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.enable_cpu_mem_arena = arena
    opts.enable_mem_pattern = arena
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    return opts


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Each thread that allocates gets a glibc arena of its own (up to 8 per core), and freed memory
    in one is never reused by another: a few threads that load and run models need no more than two."""
    libc = _glibc()
    if libc:
        libc.mallopt(M_ARENA_MAX, arenas)


def hand_back_large_buffers(threshold: int | None = None) -> None:
    """Intel MKL (inside CTranslate2) keeps a cache of freed buffers of its own (~35 MB);
    ``MKL_DISABLE_FAST_MM`` turns it off, read when MKL first allocates, so this runs before any
    model loads. With ``threshold`` (bytes, e.g. :data:`MMAP_THRESHOLD_BYTES`) glibc's mapping
    threshold is fixed too, so each activation buffer of Whisper, Piper and the LLM goes back to the
    system when freed instead of staying in the heap. That is not the default: in ``hearth bench
    --quick`` on a quiet machine it saved ~85 MB of peak RSS (1125 vs 1210 MB) but made Piper's first
    chunk 0.25 s instead of 0.13 s and transcription ~25 % slower (page faults on every call)."""
    os.environ.setdefault("MKL_DISABLE_FAST_MM", "1")
    libc = _glibc()
    if libc and threshold is not None:
        libc.mallopt(M_MMAP_THRESHOLD, threshold)


def trim() -> None:
    """Give freed heap back to the system (model loaders free large temporary buffers)."""
    libc = _glibc()
    if libc:
        libc.malloc_trim(0)


def defer_openwakeword_training() -> None:
    """openWakeWord's package imports its custom-verifier trainer, and with it scikit-learn and
    SciPy, on every import; Hearth never trains one. Until someone calls the trainer, a stand-in
    module takes its place; calling it imports the real one."""
    name = "openwakeword.custom_verifier_model"
    if name in sys.modules or "openwakeword" in sys.modules:
        return
    stub = types.ModuleType(name)

    def train_custom_verifier(*args: Any, **kwargs: Any) -> Any:
        sys.modules.pop(name, None)
        return importlib.import_module(name).train_custom_verifier(*args, **kwargs)

    stub.train_custom_verifier = train_custom_verifier  # type: ignore[attr-defined]
    sys.modules[name] = stub
