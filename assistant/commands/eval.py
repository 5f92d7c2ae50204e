"""``hearth eval``: the LLM tool caller on the held-out split, with Hearth's adapter and without it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from assistant import modelstore
from assistant.brain.llm import ADAPTER_ID, BASE_ID, LlamaToolCaller
from assistant.config import Config
from assistant.train import datagen, evaluate
from assistant.train.tools import training_tools

DEFAULT_N = 300
SEED = 1234


def run(args: argparse.Namespace, cfg: Config) -> int:
    examples = datagen.generate("heldout", args.limit or DEFAULT_N, seed=SEED)
    tools = training_tools()
    adapter = Path(args.adapter) if args.adapter else modelstore.path(ADAPTER_ID)
    base = modelstore.path(BASE_ID)
    results: dict[str, Any] = {"examples": len(examples), "split": "heldout", "seed": SEED}
    runs = (("adapter", adapter),) if args.adapter_only else (("adapter", adapter), ("base", None))
    for label, lora in runs:
        t0 = time.monotonic()
        caller = LlamaToolCaller(base, adapter=lora, n_ctx=cfg.brain.n_ctx, threads=cfg.brain.threads)
        s = evaluate.score(examples, evaluate.run_caller(caller, tools))
        results[label] = {**s.as_dict(), "seconds": round(time.monotonic() - t0, 1)}
        print(f"{label}: {json.dumps(results[label]['overall'])}", file=sys.stderr)
        if label == "adapter":
            results["adapter_misses"] = s.misses[:40]
        del caller
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        print(render(results))
    return 0


def _pct(v: float | None) -> str:
    return "  -  " if v is None else f"{100 * v:5.1f}"


def _unscored(a: dict[str, Any]) -> dict[str, Any]:
    """The base model's column when it was not scored (``--adapter-only``)."""
    empty = {"exact": None, "action": None}
    return {"overall": empty, "by_language": {k: empty for k in a["by_language"]}, "by_skill": {},
            "offtopic_false_action_rate": None, "ms_median": "-", "ms_p90": "-"}


def render(r: dict[str, Any]) -> str:
    a = r["adapter"]
    b = r.get("base") or _unscored(a)
    lines = [f"held-out split: {r['examples']} examples (seed {r['seed']}); exact call / action, %",
             f"{'':34} {'base':>13}   {'adapter':>13}"]

    def row(label: str, x: dict[str, Any], y: dict[str, Any]) -> None:
        lines.append(f"{label:<28} {x['n']:>5} {_pct(y['exact'])} {_pct(y['action'])}   "
                     f"{_pct(x['exact'])} {_pct(x['action'])}")

    row("overall", a["overall"], b["overall"])
    for lang in a["by_language"]:
        row(f"  {lang}", a["by_language"][lang], b["by_language"][lang])
    for skill in a["by_skill"]:
        row(f"  {skill}", a["by_skill"][skill], b["by_skill"].get(skill, {"exact": None, "action": None}))
    lines.append(f"off-topic false action rate: base {_pct(b['offtopic_false_action_rate'])}  "
                 f"adapter {_pct(a['offtopic_false_action_rate'])}  (n={a['offtopic_n']})")
    lines.append(f"latency per command (warm prefix), ms median/p90: base {b['ms_median']}/{b['ms_p90']}  "
                 f"adapter {a['ms_median']}/{a['ms_p90']}")
    return "\n".join(lines)
