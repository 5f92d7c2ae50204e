"""``hearth bench``: latency, real-time factors, CPU and memory, against the naive way (same run)."""

from __future__ import annotations

import argparse

from assistant.bench import main
from assistant.config import Config


def run(args: argparse.Namespace, cfg: Config) -> int:
    if getattr(args, "satellites", False):
        from assistant.hubbench import main as satellites_main

        return satellites_main(cfg, as_json=args.json)
    if getattr(args, "stt", False) or getattr(args, "wake", False):
        from assistant import frontbench

        return frontbench.main(cfg, stt=args.stt, wake=args.wake, hours=args.hours, quick=args.quick,
                               runs=args.runs, as_json=args.json)
    if getattr(args, "home_size", None):
        from assistant import bench_homes

        return bench_homes.main(cfg, args.home_size, as_json=args.json, config_path=args.config,
                               rounds=args.rounds)
    return main(cfg, quick=args.quick, runs=args.runs, as_json=args.json)
