"""The local LLM tool caller (llama.cpp): bundled Gemma + Hearth's adapter with a grammar, or a user's chat model.

The bundled model gets Hearth's own prompt (:mod:`assistant.brain.prompt`); the fixed prefix
(tools + home names) stays in llama.cpp's KV cache, so a command pays only for its own tokens.
A user's GGUF with a chat template is driven through its own tool-calling format instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from assistant import modelstore
from assistant.brain import grammar, prompt
from assistant.brain.decode import NameDrafter, greedy_line
from assistant.brain.llm_base import LlmResult, Turn
from assistant.config import Config
from assistant.errors import ModelError
from assistant.home.inventory import Inventory
from assistant.skillkit.spec import ToolCall, ToolSpec

log = logging.getLogger(__name__)

ADAPTER_ID = "hearth-adapter"
"""Model-store id of Hearth's own LoRA adapter (models/manifest.toml)."""
BASE_ID = "gemma3-270m"
MAX_TOKENS = 64


def _check_gguf(path: Path, what: str) -> None:
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ModelError(f"{what} {path} cannot be read: {e}") from e
    if magic != b"GGUF":
        raise ModelError(f"{what} {path} is not a GGUF file (corrupt or wrong format); "
                         "point brain.llm_model / brain.llm_adapter at a valid .gguf or reinstall it")


OWN_N_CTX = 2048
"""Context of the bundled model: its longest prompt (tools, ≤ 30 candidates, two turns) is < 900 tokens."""
OWN_N_BATCH = 128
"""Tokens per evaluation step of the bundled model: a command's prompt past the cached prefix is
40-120 tokens, and llama.cpp's compute buffers grow with the step (512: +16 MB for nothing)."""
CHAT_N_CTX = 4096
"""Context of a user's chat model, whose template lists every tool's JSON schema."""


class LlamaToolCaller:
    """Implements :class:`assistant.brain.llm_base.ToolCaller` with llama-cpp-python."""

    def __init__(self, model_path: Path, *, adapter: Path | None = None, chat: bool = False,
                 chat_format: str | None = None, n_ctx: int = 0, threads: int = 2, merge: bool = True) -> None:
        """``n_ctx`` 0: :data:`CHAT_N_CTX` for a chat model, else :data:`OWN_N_CTX`. ``merge``: load
        the model with the adapter folded in (:mod:`assistant.brain.merge`) instead of applying it
        at run time; a pair that cannot be merged is loaded the run-time way."""
        _check_gguf(model_path, "LLM model")
        load_path, lora = model_path, adapter
        if adapter is not None:
            _check_gguf(adapter, "LLM adapter")
            if merge:
                from assistant.brain.merge import merged

                try:
                    load_path, lora = merged(model_path, adapter), None
                except ModelError as e:
                    log.warning("%s; applying the adapter at run time", e)
        try:
            from assistant.brain.lazygrammar import llama_class

            Llama = llama_class()
        except ImportError as e:
            raise ModelError("llama-cpp-python is not installed; run: make setup") from e
        # llama.cpp prints its load chatter (KV cache, LoRA buffer types) unless its logger says no.
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        n_ctx = n_ctx or (CHAT_N_CTX if chat else OWN_N_CTX)
        kwargs: dict[str, Any] = {"n_ctx": n_ctx, "n_threads": threads, "verbose": False}
        if not chat:
            kwargs.update(n_batch=OWN_N_BATCH, n_ubatch=OWN_N_BATCH)
        if lora is not None:
            kwargs["lora_path"] = str(lora)
        if chat_format:
            kwargs["chat_format"] = chat_format
        with tempfile.TemporaryFile(mode="w+") as native_log:
            try:
                with _stderr_to(native_log):
                    self.llm = Llama(model_path=str(load_path), **kwargs)
            except (ValueError, RuntimeError, OSError) as e:
                native_log.seek(0)
                detail = " ".join(native_log.read().strip().splitlines()[-3:])
                raise ModelError(f"cannot load LLM {model_path}"
                                 f"{f' with adapter {adapter}' if adapter else ''}: {e} {detail}; "
                                 "check the file (hearth models) or set brain.llm_model to another GGUF") from e
        self.model_path, self.adapter, self.chat = model_path, adapter, chat
        self.loaded_path = load_path
        """The file llama.cpp runs: the merged model, or ``model_path`` (with ``adapter`` at run time)."""
        self._grammars: dict[str, Any] = {}
        self._lock = threading.Lock()  # one llama.cpp context: a prefetch and a call never overlap

    @classmethod
    def from_config(cls, cfg: Config) -> LlamaToolCaller:
        b = cfg.brain
        if b.llm_model:
            model = modelstore.user_path(b.llm_model, "brain.llm_model")
            adapter = None
            if b.llm_adapter not in ("", "none"):
                adapter = modelstore.user_path(b.llm_adapter, "brain.llm_adapter")
            return cls(model, adapter=adapter, chat=True, chat_format=b.chat_format or None,
                       n_ctx=b.n_ctx, threads=b.threads, merge=b.merge_adapter)
        model = modelstore.path(BASE_ID)
        if b.llm_adapter == "none":
            adapter = None
        elif b.llm_adapter:
            adapter = modelstore.user_path(b.llm_adapter, "brain.llm_adapter")
        else:
            adapter = modelstore.path(ADAPTER_ID)
        return cls(model, adapter=adapter, n_ctx=b.n_ctx, threads=b.threads, merge=b.merge_adapter)

    # -- the bundled model's own format -------------------------------------------------------
    def _grammar(self, tools: Sequence[ToolSpec], inventory: Inventory) -> Any:
        from llama_cpp import LlamaGrammar

        text = grammar.build(tools, inventory)
        g = self._grammars.get(text)
        if g is None:
            g = LlamaGrammar.from_string(text, verbose=False)
            self._grammars = {text: g}  # one home at a time; a new inventory replaces it
        return g

    def warm(self, tools: Sequence[ToolSpec], inventory: Inventory) -> None:
        if self.chat:
            return
        tokens = self.llm.tokenize(prompt.prefix(tools, inventory).encode("utf-8"), add_bos=True)
        with self._lock:
            self.llm.reset()
            self.llm.eval(tokens)
            self._grammar(tools, inventory)

    def call(self, text: str, *, tools: Sequence[ToolSpec], inventory: Inventory,
             area: str | None = None, language: str = "en", history: Sequence[Turn] = (),
             stop: Callable[[], bool] | None = None) -> LlmResult:
        t0 = time.perf_counter()
        with self._lock:
            if self.chat:
                call, ask, raw = self._chat(text, tools, inventory, area, history)
            else:
                call, ask, raw = self._own(text, tools, inventory, area, history, stop)
        if call is not None:
            why = grammar.validate(call, tools, inventory)
            if why is not None:
                log.info("LLM call %s rejected: %s", call, why)
                call = None
        return LlmResult(call=call, ask=ask, raw=raw, ms=(time.perf_counter() - t0) * 1000)

    def _own(self, text: str, tools: Sequence[ToolSpec], inventory: Inventory, area: str | None,
             history: Sequence[Turn], stop: Callable[[], bool] | None) -> tuple[ToolCall | None, str | None, str]:
        full = prompt.render(text, tools=tools, inventory=inventory, area=area, history=history)
        # Greedy under the home's grammar: always a valid line. The grammar is asked only about the
        # token the model would pick (:mod:`assistant.brain.lazygrammar`), and the names it writes
        # are drafted ahead and checked in one step (:mod:`assistant.brain.decode`).
        drafter = NameDrafter(grammar.Vocabulary(inventory), [t.name for t in tools])
        raw = self._complete(full, self._grammar(tools, inventory), stop, draft=drafter)
        parsed = prompt.parse_output(raw)
        return parsed.call, parsed.ask, raw

    def _complete(self, full: str, grammar_: Any, stop: Callable[[], bool] | None = None,
                  draft: Callable[[str], str] | None = None) -> str:
        """The greedy line after ``full`` under ``grammar_`` (:func:`assistant.brain.decode.greedy_line`)."""
        return greedy_line(self.llm, full, grammar_, max_tokens=MAX_TOKENS, draft=draft, stop=stop)

    # -- a user's chat model ------------------------------------------------------------------
    def _chat(self, text: str, tools: Sequence[ToolSpec], inventory: Inventory, area: str | None,
              history: Sequence[Turn]) -> tuple[ToolCall | None, str | None, str]:
        home = "\n".join(prompt.render_home(inventory))
        system = ("You control a smart home. Call exactly one tool when the user asks to control a "
                  "device or asks about the home, timers, lists, time or weather. Use device and area "
                  "names exactly as listed. If the request is unclear, ask one short question. For "
                  "anything else, answer briefly without a tool.\nHome (area: devices):\n" + home)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
        for t in history[-prompt.MAX_HISTORY:]:
            messages += [{"role": "user", "content": t.text},
                         {"role": "assistant", "content": prompt.format_output(t.call)}]
        room = prompt._area_name(inventory, area)
        messages.append({"role": "user", "content": f"{text}" + (f" (I am in the {room})" if room else "")})
        schema = [{"type": "function", "function": t.as_dict()} for t in tools]
        out = self.llm.create_chat_completion(messages=messages, tools=schema, tool_choice="auto",
                                              temperature=0.0, max_tokens=256)
        msg = out["choices"][0]["message"]
        raw = json.dumps(msg, ensure_ascii=False)
        for tc in msg.get("tool_calls") or []:
            fn = tc.get("function") or {}
            args = _json_obj(fn.get("arguments"))
            if fn.get("name") and args is not None:
                return ToolCall(str(fn["name"]), args), None, raw
        content = str(msg.get("content") or "").strip()
        found = _call_in_text(content)
        if found is not None:
            return found, None, raw
        if content.endswith(("?", "？")):
            return None, content, raw
        return None, None, raw


def _json_obj(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    try:
        obj = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _call_in_text(content: str) -> ToolCall | None:
    """A tool call a chat template wrote as text (``<tool_call>{...}</tool_call>`` and similar)."""
    for m in re.finditer(r"\{.*\}", content, re.S):
        obj = _json_obj(m.group(0))
        if obj and isinstance(obj.get("name"), str):
            args = _json_obj(obj.get("arguments", obj.get("parameters", {})))
            if args is not None:
                return ToolCall(obj["name"], args)
    return None


@contextlib.contextmanager
def _stderr_to(target: IO[str]) -> Iterator[None]:
    """Send what llama.cpp's C code writes to stderr while loading (per-tensor LoRA notes) to
    ``target``; it is only shown when loading fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(target.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
