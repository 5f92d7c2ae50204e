"""llama.cpp helpers for tests: does a GBNF grammar parse, and does it accept a given output line."""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any


@cache
def vocab_model() -> Any:
    """The bundled model loaded for its vocabulary only (fast, no weights)."""
    from llama_cpp import Llama

    from assistant import modelstore

    return Llama(model_path=str(modelstore.path("gemma3-270m")), vocab_only=True, verbose=False)


def sampler(gbnf: str) -> Any:
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(vocab_model().model)
    return llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")


def parses(gbnf: str) -> bool:
    import llama_cpp

    s = sampler(gbnf)
    if not s:
        return False
    llama_cpp.llama_sampler_free(s)
    return True


def accepts(gbnf: str, text: str) -> bool:
    """Feed ``text`` token by token through llama.cpp's grammar sampler; False at the first token it bans."""
    import llama_cpp

    s = sampler(gbnf)
    assert s, "grammar does not parse"
    try:
        for tok in vocab_model().tokenize(text.encode(), add_bos=False, special=False):
            arr = (llama_cpp.llama_token_data * 1)()
            arr[0].id, arr[0].logit, arr[0].p = tok, 0.0, 0.0
            cur = llama_cpp.llama_token_data_array(data=arr, size=1, selected=-1, sorted=False)
            llama_cpp.llama_sampler_apply(s, ctypes.byref(cur))
            if arr[0].logit == float("-inf"):
                return False
            llama_cpp.llama_sampler_accept(s, tok)
        return True
    finally:
        llama_cpp.llama_sampler_free(s)
