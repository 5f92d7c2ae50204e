"""The adapter's training recipe: LoRA on the dequantized bundled Gemma, then a llama.cpp GGUF adapter.

Runs on a CPU (bf16 autocast). Needs the ``[train]`` extra (torch, transformers, peft); the
converter script comes from the llama-cpp-python sdist, fetched once with pip into a cache.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import subprocess
import sys
import tarfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant import modelstore
from assistant.errors import HearthError, ModelError
from assistant.train import datagen

log = logging.getLogger(__name__)

LLAMA_CPP_VERSION = "0.3.36"
ADAPTER_FILE = "hearth-gemma3-270m-lora.gguf"
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainError(HearthError):
    code = "train_error"


@dataclass(frozen=True, slots=True)
class Recipe:
    """Every knob of one training run; written into the adapter's card."""

    seed: int = 1234
    examples: int = 3600
    steps: int = 750
    batch: int = 6
    """At most this many examples per step, all from one home (they share the prompt prefix)."""
    lr: float = 3e-4
    warmup: int = 20
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    outtype: str = "q8_0"
    threads: int = 2
    bf16: bool | None = None
    """bf16 autocast; None = on a GPU, or where the CPU computes bf16 natively (avx512_bf16/AMX), else fp32."""
    device: str = "cpu"
    """torch device to train on: "cpu", or "cuda" where a GPU is at hand (same recipe, minutes not hours)."""

    @classmethod
    def tiny(cls, seed: int) -> Recipe:
        return cls(seed=seed, examples=12, steps=3, batch=2, warmup=1)


@dataclass(frozen=True, slots=True)
class TrainResult:
    adapter: Path
    sha256: str
    size: int
    seconds: float
    final_loss: float
    losses: tuple[float, ...]
    recipe: Recipe


def _need_train_deps() -> None:
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        raise TrainError(
            f"training needs the [train] extra ({e.name} is missing); run: pip install -e '.[train]'"
        ) from e


def _cpu_has_bf16() -> bool:
    """bf16 pays off only where the CPU computes it (avx512_bf16/AMX); AVX-512 alone emulates it 2.5x slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def converter_dir(cache: Path) -> Path:
    """``vendor/llama.cpp`` of the llama-cpp-python sdist: the LoRA converter and its gguf-py."""
    root = cache / f"llama_cpp_python-{LLAMA_CPP_VERSION}"
    vendor = root / "vendor" / "llama.cpp"
    if (vendor / "convert_lora_to_gguf.py").exists():
        return vendor
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"llama_cpp_python-{LLAMA_CPP_VERSION}.tar.gz"
    env_tar = os.environ.get("HEARTH_LLAMA_CPP_SDIST")
    if env_tar:
        tarball = Path(env_tar)
    if not tarball.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               f"llama-cpp-python=={LLAMA_CPP_VERSION}", "-d", str(cache)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not tarball.exists():
            raise TrainError(f"cannot fetch the llama-cpp-python {LLAMA_CPP_VERSION} sdist for its LoRA "
                             f"converter: {done.stderr.strip()[-300:]}; set HEARTH_LLAMA_CPP_SDIST to a "
                             "downloaded llama_cpp_python tar.gz")
    wanted = ("vendor/llama.cpp/convert_lora_to_gguf.py", "vendor/llama.cpp/convert_hf_to_gguf.py",
              "vendor/llama.cpp/conversion/", "vendor/llama.cpp/gguf-py/")
    with tarfile.open(tarball) as tar:
        members = [m for m in tar.getmembers() if any(w in m.name for w in wanted)]
        tar.extractall(cache, members=members, filter="data")
    return vendor


def _encode(tok: Any, ex: datagen.Example) -> tuple[list[int], list[int]]:
    p = tok(ex.prompt()).input_ids
    c = tok(ex.completion(), add_special_tokens=False).input_ids
    return p + c, [-100] * len(p) + c


def _home_batches(examples: list[datagen.Example], size: int) -> list[list[int]]:
    """Batches of examples from the same home, so tools and home are computed once per batch."""
    out: list[list[int]] = []
    for i, ex in enumerate(examples):
        if out and len(out[-1]) < size and examples[out[-1][0]].inventory is ex.inventory:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _common_prefix(rows: list[list[int]]) -> int:
    n = min(len(r) for r in rows) - 1
    first = rows[0]
    for i in range(n):
        if any(r[i] != first[i] for r in rows):
            return i
    return n


def _batch_loss(core: Any, batch: list[tuple[list[int], list[int]]], pad: int) -> Any:
    """Loss on completion tokens only; the batch's shared prompt prefix (tools, often the home)
    runs once and its KV cache is broadcast, and logits are computed only where there is a label."""
    import torch

    # The last prompt token must stay in the per-example part: its output predicts the first label.
    first_label = min(next(i for i, y in enumerate(ys) if y != -100) for _, ys in batch)
    shared = min(_common_prefix([ids for ids, _ in batch]), first_label - 1)
    rows = len(batch)
    past = None
    if shared > 0:
        out = core.model(input_ids=torch.tensor([batch[0][0][:shared]]), use_cache=True)
        past = out.past_key_values
        for layer in past.layers:
            layer.keys = layer.keys.expand(rows, -1, -1, -1)
            layer.values = layer.values.expand(rows, -1, -1, -1)
    width = max(len(ids) for ids, _ in batch) - shared
    ids = torch.full((rows, width), pad, dtype=torch.long)
    labels = torch.full((rows, width), -100, dtype=torch.long)
    mask = torch.zeros((rows, shared + width), dtype=torch.long)
    mask[:, :shared] = 1
    for i, (x, y) in enumerate(batch):
        ids[i, : len(x) - shared] = torch.tensor(x[shared:])
        labels[i, : len(y) - shared] = torch.tensor(y[shared:])
        mask[i, shared : len(x)] = 1
    hidden = core.model(input_ids=ids, attention_mask=mask, past_key_values=past,
                        use_cache=past is not None).last_hidden_state
    sel = labels[:, 1:] != -100
    logits = core.lm_head(hidden[:, :-1][sel]).float()
    cap = getattr(core.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.nn.functional.cross_entropy(logits, labels[:, 1:][sel])


def train(out_dir: Path, recipe: Recipe, cache: Path, base: Path | None = None) -> TrainResult:
    """Train, convert and write ``out_dir/ADAPTER_FILE`` and ``train_log.json``."""
    t0 = time.monotonic()
    work = cache / "train-work"  # PEFT weights and base config: intermediate, not shipped
    losses, lengths = fit(recipe, work, base)
    return export(out_dir, work, recipe, cache, losses, lengths, time.monotonic() - t0)


def fit(recipe: Recipe, work: Path, base: Path | None = None) -> tuple[list[float], list[int]]:
    """Train the LoRA; write the PEFT adapter to ``work/lora`` and the base config to ``work/base``.

    ``base``: the bundled GGUF elsewhere (a GPU machine without Hearth's model packages)."""
    _need_train_deps()
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.monotonic()
    random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    torch.set_num_threads(recipe.threads)
    torch.set_default_device(recipe.device)  # the batches built in _batch_loss land on the same device
    base = base or modelstore.path("gemma3-270m")
    log.warning("loading %s (dequantized)", base)
    # The bundled GGUF on disk, never a hub: local_files_only makes a missing file an error, not a download.
    tok = AutoTokenizer.from_pretrained(str(base.parent), gguf_file=base.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(base.parent), gguf_file=base.name, dtype=torch.float32,
                                                 local_files_only=True).to(recipe.device)
    examples = datagen.generate("train", recipe.examples, seed=recipe.seed)
    encoded = [_encode(tok, ex) for ex in examples]
    lengths = [len(ids) for ids, _ in encoded]
    log.warning("%d examples, tokens mean %.0f max %d", len(encoded), sum(lengths) / len(lengths), max(lengths))
    cfg = LoraConfig(r=recipe.rank, lora_alpha=recipe.alpha, lora_dropout=recipe.dropout,
                     target_modules=list(TARGETS), task_type="CAUSAL_LM")
    model = get_peft_model(model, cfg)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.0)
    gen = torch.Generator(device="cpu").manual_seed(recipe.seed)
    groups = _home_batches(examples, recipe.batch)
    order: list[int] = []
    losses: list[float] = []
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    kind = "cuda" if recipe.device.startswith("cuda") else "cpu"
    native = kind == "cuda" or _cpu_has_bf16()
    bf16 = native if recipe.bf16 is None else recipe.bf16
    log.warning("bf16 autocast: %s", bf16)
    for step in range(recipe.steps):
        if not order:
            order = torch.randperm(len(groups), generator=gen, device="cpu").tolist()
        batch = [encoded[i] for i in groups[order.pop()]]
        lr = recipe.lr * min(1.0, (step + 1) / recipe.warmup) * (
            0.5 * (1 + math.cos(math.pi * step / max(1, recipe.steps))) * 0.9 + 0.1)
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(kind, dtype=torch.bfloat16, enabled=bf16):
            loss = _batch_loss(model.get_base_model(), batch, pad)
        if not torch.isfinite(loss):
            raise TrainError(f"loss is {float(loss)} at step {step + 1}; lower the learning rate")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(loss))
        if step % 10 == 0 or step == recipe.steps - 1:
            log.warning("step %d/%d loss %.4f lr %.2e %.1fs", step + 1, recipe.steps, losses[-1], lr,
                        time.monotonic() - t0)
    model.save_pretrained(str(work / "lora"))
    base_cfg = model.base_model.model.config
    base_cfg.architectures = ["Gemma3ForCausalLM"]
    base_cfg.save_pretrained(str(work / "base"))
    cfg_file = work / "base" / "config.json"
    saved = json.loads(cfg_file.read_text())
    saved.pop("quantization_config", None)  # the weights trained on were dequantized
    cfg_file.write_text(json.dumps(saved, indent=1))
    (work / "fit.json").write_text(json.dumps({"losses": losses, "lengths": lengths,
                                               "seconds": time.monotonic() - t0}))
    return losses, lengths


def export(out_dir: Path, work: Path, recipe: Recipe, cache: Path, losses: list[float], lengths: list[int],
           seconds: float) -> TrainResult:
    """Convert ``work``'s PEFT adapter into ``out_dir/ADAPTER_FILE`` and write ``train_log.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    adapter = out_dir / ADAPTER_FILE
    convert(work / "lora", work / "base", adapter, recipe.outtype, cache)
    result = TrainResult(adapter, modelstore.sha256_file(adapter), adapter.stat().st_size, seconds,
                         sum(losses[-10:]) / len(losses[-10:]), tuple(losses), recipe)
    (out_dir / "train_log.json").write_text(json.dumps(
        {"recipe": asdict(recipe), "seconds": round(seconds, 1), "losses": [round(x, 4) for x in losses],
         "sha256": result.sha256, "size": result.size, "tokens_mean": sum(lengths) / len(lengths)},
        indent=1))
    return result


def convert(lora_dir: Path, base_dir: Path, outfile: Path, outtype: str, cache: Path) -> None:
    vendor = converter_dir(cache)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(vendor / "gguf-py"), str(vendor)]))
    cmd = [sys.executable, str(vendor / "convert_lora_to_gguf.py"), "--base", str(base_dir),
           "--outtype", outtype, "--outfile", str(outfile), str(lora_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0 or not outfile.exists():
        raise ModelError(f"LoRA conversion to GGUF failed: {done.stderr.strip()[-600:]}")
