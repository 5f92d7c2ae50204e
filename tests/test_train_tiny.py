"""The adapter recipe end to end on a tiny configuration: train, convert, load in llama.cpp, call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import modelstore
from assistant.brain import prompt
from assistant.brain.llm import LlamaToolCaller
from assistant.home import inventory
from assistant.train.recipe import ADAPTER_FILE
from assistant.train.tools import training_tools

pytestmark = pytest.mark.slow


def test_tiny_recipe_produces_an_adapter_llama_cpp_loads(tmp_path: Path) -> None:
    missing = [m for m in ("torch", "transformers", "peft", "gguf") if _absent(m)]
    assert not missing, f"the [train] extra is not installed ({missing}); run: pip install -e '.[train]'"
    out = tmp_path / "adapter"
    env = dict(os.environ, HEARTH_CONFIG=str(tmp_path / "none.toml"))
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "train", "--tiny", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    adapter = out / ADAPTER_FILE
    assert adapter.stat().st_size > 100_000
    assert "sha256" in done.stdout and str(adapter) in done.stdout

    import gguf

    reader = gguf.GGUFReader(str(adapter))
    kind = reader.fields["general.type"]
    assert bytes(kind.parts[kind.data[0]]).decode() == "adapter"

    home = inventory.load(inventory.bundled_path())
    tools = training_tools()
    caller = LlamaToolCaller(modelstore.path("gemma3-270m"), adapter=adapter, merge=False)
    caller.warm(tools, home)
    r = caller.call("turn on the kitchen light", tools=tools, inventory=home, area="kitchen")
    assert r.raw.strip(), "no output"
    parsed = prompt.parse_output(r.raw)
    first = r.raw.strip().split(" ", 1)[0]
    assert first in {"none", "ask"} | {t.name for t in tools}, r.raw  # the grammar held
    assert (parsed.call is None) == (first in {"none", "ask"})


def _absent(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None
