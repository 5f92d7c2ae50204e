"""Fold a LoRA adapter into its base model once, so every token costs what the base's tokens cost.

llama.cpp applies a run-time adapter as extra matrix products in every layer and cannot use its
repacked CPU kernels with one attached: on the bundled 270M model a command's prompt tokens cost
~25 % more and its generated tokens ~10 % more. The merged weights are ``W + (alpha / r) · B · A``,
written as Q8_0 — finer than the base's 4-5-bit types, so the adapter's small changes are not
rounded away (Q8_0 costs ~30 MB more than the base's own types). The file is made on first use
(~25 s on two cores) and cached under the data directory, named by the hashes of what it was made
from, so a new adapter or base makes a new one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

import numpy as np

from assistant.errors import ModelError

log = logging.getLogger(__name__)

FORMAT = "q8_0-v1"
"""Changes whenever the merged file's layout changes, so old caches are not reused."""


def _digest(base: Path, adapter: Path) -> str:
    """Identity of the pair: the adapter's bytes (small) and the base's size and mtime (the base
    is verified against the manifest by the model store, and hashing 250 MB at each start costs)."""
    h = hashlib.sha256(FORMAT.encode())
    st = base.stat()
    h.update(f"{base.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    with adapter.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    from assistant import modelstore

    return modelstore.data_dir() / "merged"


def _family(base: Path, adapter: Path) -> str:
    """Merges of the same two files (by path): a new one makes the others stale."""
    where = hashlib.sha256(f"{base.resolve()}|{adapter.resolve()}".encode()).hexdigest()[:8]
    return f"{base.stem}+{adapter.stem}-{where}"


def merged_path(base: Path, adapter: Path, directory: Path | None = None) -> Path:
    """Where the merged model of ``base`` and ``adapter`` is cached."""
    return (directory or cache_dir()) / f"{_family(base, adapter)}-{_digest(base, adapter)}.gguf"


def merged(base: Path, adapter: Path, directory: Path | None = None) -> Path:
    """The merged model, made now if it is not cached yet; ModelError when the pair cannot be merged."""
    out = merged_path(base, adapter, directory)
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.part")
    t0 = time.perf_counter()
    log.info("merging adapter %s into %s (once; cached as %s)", adapter.name, base.name, out)
    try:
        n = write_merged(base, adapter, tmp)
        tmp.replace(out)
    except (ValueError, KeyError, OSError, NotImplementedError) as e:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"cannot merge adapter {adapter} into {base}: {e}") from e
    for old in out.parent.glob(f"{_family(base, adapter)}-*.gguf"):  # earlier versions of these files
        if old != out:
            old.unlink(missing_ok=True)
    log.info("merged %d tensors in %.1f s", n, time.perf_counter() - t0)
    return out


def write_merged(base: Path, adapter: Path, out: Path) -> int:
    """Write ``base`` with ``adapter`` folded in to ``out``; returns how many tensors changed."""
    import gguf
    from gguf import GGMLQuantizationType, quants

    rb, ra = gguf.GGUFReader(base), gguf.GGUFReader(adapter)
    kind = ra.fields.get("adapter.type")
    if kind is None or kind.contents() != "lora":
        raise ValueError(f"{adapter.name} is not a LoRA adapter (adapter.type: "
                         f"{kind.contents() if kind else 'missing'})")
    alpha = float(ra.fields["adapter.lora.alpha"].contents())
    lora = {t.name: t for t in ra.tensors}
    items: list[tuple[str, np.ndarray, GGMLQuantizationType]] = []
    used = 0
    for t in rb.tensors:
        a, b = lora.get(f"{t.name}.lora_a"), lora.get(f"{t.name}.lora_b")
        if a is None or b is None:
            items.append((t.name, t.data, t.tensor_type))
            continue
        lo_a = quants.dequantize(a.data, a.tensor_type).astype(np.float32)  # (rank, in)
        lo_b = quants.dequantize(b.data, b.tensor_type).astype(np.float32)  # (out, rank)
        w = quants.dequantize(t.data, t.tensor_type).astype(np.float32)  # (out, in)
        if lo_b.shape[0] != w.shape[0] or lo_a.shape[1] != w.shape[1] or lo_a.shape[0] != lo_b.shape[1]:
            raise ValueError(f"{t.name}: adapter shapes {lo_a.shape}, {lo_b.shape} do not fit {w.shape}")
        w += (alpha / lo_a.shape[0]) * (lo_b @ lo_a)
        items.append((t.name, quants.quantize(w, GGMLQuantizationType.Q8_0), GGMLQuantizationType.Q8_0))
        used += 2
    if used != len(lora):
        unmatched = sorted(set(lora) - {f"{n}.lora_{x}" for n, _, _ in items for x in "ab"})
        raise ValueError(f"adapter tensors without a base tensor: {unmatched[:3]}")
    writer = gguf.GGUFWriter(out, arch=str(rb.fields["general.architecture"].contents()))
    for f in rb.fields.values():
        if f.name == "general.architecture" or f.name.startswith("GGUF."):
            continue  # written by the writer itself
        sub = f.types[-1] if f.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(f.name, f.contents(), f.types[0], sub_type=sub)
    for name, data, typ in items:
        writer.add_tensor_info(name, data.shape, data.dtype, data.nbytes, typ)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for _, data, _ in items:
        writer.write_tensor_data(data)
    writer.close()
    return used // 2
