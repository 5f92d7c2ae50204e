"""``hearth train``: reproduce Hearth's LoRA adapter for the bundled LLM (needs the [train] extra)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from assistant.config import Config
from assistant.train import recipe as recipe_mod

log = logging.getLogger(__name__)


def run(args: argparse.Namespace, cfg: Config) -> int:
    recipe = recipe_mod.Recipe.tiny(args.seed) if args.tiny else recipe_mod.Recipe(seed=args.seed)
    if args.steps:
        recipe = dataclasses.replace(recipe, steps=args.steps)
    if args.examples:
        recipe = dataclasses.replace(recipe, examples=args.examples)
    recipe = dataclasses.replace(recipe, threads=cfg.brain.threads, device=args.device)
    if args.out:
        out = Path(args.out)
    elif args.tiny:
        out = cfg.data_dir / "adapter-tiny"
    else:
        out = Path(__file__).resolve().parents[2] / "models" / "adapter"
    result = recipe_mod.train(out, recipe, cfg.data_dir / "cache", Path(args.base) if args.base else None)
    print(f"adapter {result.adapter} ({result.size / 1e6:.1f} MB, sha256 {result.sha256})")
    print(f"{recipe.steps} steps on {recipe.examples} examples, seed {recipe.seed}: "
          f"final loss {result.final_loss:.4f}, {result.seconds:.0f} s")
    return 0
