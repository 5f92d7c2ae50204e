"""Greedy decoding under a GBNF grammar that asks the grammar only about the token it would pick.

llama-cpp-python's sampler chain filters every token of the vocabulary through the grammar at every
step: for Gemma's 262k tokens that is ~100 ms a token here, several times the model's own step.
Greedy decoding only needs to know whether the likeliest token is allowed. It usually is, and then
one token is checked. When it is not, the next likeliest are asked in turn (a refused pick is
mostly the model wanting to write on where the line must end, or a name the home lacks); only if
none of the :data:`SHORTLIST` likeliest is allowed is the whole vocabulary filtered (~190 ms). The
token chosen is the one the full filter would choose (llama.cpp's own common sampler works the same
way).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import math
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SHORTLIST = 64
"""Likeliest tokens asked one by one before the whole vocabulary is filtered."""
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


class GrammarDeadEnd(RuntimeError):
    """The grammar allows no token at all: the decode cannot go on."""


class LazyGrammarSampler:
    """Greedy sampler under ``grammar``; llama-cpp-python calls ``sample(ctx, idx)`` once per token."""

    def __init__(self, vocab: Any, grammar: Any, n_vocab: int) -> None:
        from llama_cpp import llama_cpp as C

        self._c = C
        self._smpl = C.llama_sampler_init_grammar(vocab, grammar._grammar.encode("utf-8"),
                                                  grammar._root.encode("utf-8"))
        if not self._smpl:
            raise ValueError("llama.cpp could not parse the grammar")
        self.n_vocab = n_vocab
        self._one = (C.llama_token_data * 1)()
        self._all: np.ndarray | None = None
        self.refusals = 0
        """Steps at which the likeliest token was not allowed."""
        self.full_filters = 0
        """Steps at which no token of the shortlist was allowed (the whole vocabulary was filtered)."""

    def sample(self, ctx: Any, idx: int) -> int:
        logits = np.ctypeslib.as_array(self._c.llama_get_logits_ith(ctx.ctx, idx), shape=(self.n_vocab,))
        token = int(np.argmax(logits))
        if not self._allows(token, float(logits[token])):
            self.refusals += 1
            token = self._best_listed(logits)
            if token < 0:
                token = self._best_allowed(logits)
        self._c.llama_sampler_accept(self._smpl, token)
        return token

    def _allows(self, token: int, logit: float) -> bool:
        one = self._one
        one[0].id, one[0].logit, one[0].p = token, logit, 0.0
        arr = self._c.llama_token_data_array(one, 1, -1, False)
        self._c.llama_sampler_apply(self._smpl, ctypes.byref(arr))
        return math.isfinite(one[0].logit)

    def _best_listed(self, logits: np.ndarray) -> int:
        """The likeliest allowed token among the :data:`SHORTLIST` likeliest (ties included, in id
        order as ``argmax`` breaks them), or -1 when none is allowed."""
        k = min(SHORTLIST, self.n_vocab)
        floor = np.partition(logits, self.n_vocab - k)[self.n_vocab - k]
        ids = np.flatnonzero(logits >= floor)
        for t in ids[np.argsort(-logits[ids], kind="stable")]:
            if self._allows(int(t), float(logits[t])):
                return int(t)
        return -1

    def _best_allowed(self, logits: np.ndarray) -> int:
        self.full_filters += 1
        if self._all is None:
            self._all = np.zeros(self.n_vocab, dtype=_TOKEN_DATA)
        data = self._all
        data["id"] = np.arange(self.n_vocab, dtype=np.int32)  # a sampler may reorder the array
        data["logit"] = logits
        arr = self._c.llama_token_data_array(data.ctypes.data_as(self._c.llama_token_data_p), self.n_vocab, -1,
                                             False)
        self._c.llama_sampler_apply(self._smpl, ctypes.byref(arr))
        best = int(np.argmax(data["logit"]))
        if not math.isfinite(float(data["logit"][best])):
            raise GrammarDeadEnd("the grammar allows no further token")
        return int(data["id"][best])

    def close(self) -> None:
        if self._smpl:
            self._c.llama_sampler_free(self._smpl)
            self._smpl = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: the library may be gone already
            self.close()


@functools.cache
def llama_class() -> type:
    """``llama_cpp.Llama`` whose greedy grammar-constrained decodes use :class:`LazyGrammarSampler`
    (one class per process, however many callers load a model)."""
    from llama_cpp import Llama

    class LazyGrammarLlama(Llama):  # type: ignore[misc]
        def _init_sampler(self, **kw: Any) -> Any:
            plain = (kw.get("temp") == 0.0 and kw.get("logits_processor") is None
                     and kw.get("repeat_penalty", 1.0) == 1.0 and not kw.get("frequency_penalty")
                     and not kw.get("presence_penalty"))
            if kw.get("grammar") is not None and plain:
                return LazyGrammarSampler(self._model.vocab, kw["grammar"], self._n_vocab)
            return super()._init_sampler(**kw)

    return LazyGrammarLlama
