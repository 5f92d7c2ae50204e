"""One greedy output line under the home's grammar, with the names it is writing drafted ahead.

A generated token costs a whole step of the model (~25 ms here), mostly fixed overhead: a step
that evaluates six tokens at once costs ~75 ms, not ~150. Once the model has started a name
("East"), the home's names usually say how it ends (" Kitchen Ceiling Fan"). Those tokens are
drafted, evaluated in one step with the logits of each position, and kept as far as the model's
own greedy choice under the grammar agrees; the first disagreement is the model's token, and the
rest is dropped. The line is exactly the one plain greedy decoding writes; only the steps differ.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from assistant.brain.grammar import Vocabulary
from assistant.brain.lazygrammar import LazyGrammarSampler

log = logging.getLogger(__name__)

MAX_DRAFT = 8
"""Tokens drafted at a time."""
_OPEN_VALUE = re.compile(r'"(\w+)":"((?:[^"\\]|\\.)*)$')
"""The text so far ends inside a JSON string value: its key and partial content."""
_KEY = re.compile(r'[{,]"(\w+)$')
"""The text so far ends with a key (not yet closed)."""


class NameDrafter:
    """Drafts what the grammar and the home leave little doubt about: ``' {"'`` after a tool's name,
    ``'":"'`` after a key whose values are names, and the rest of a name once it is told apart."""

    def __init__(self, vocab: Vocabulary, tools: Sequence[str] = ()) -> None:
        names = sorted({n for ns in vocab.by_domain.values() for n in ns})
        self.by_key: dict[str, list[str]] = {
            "name": names, "area": vocab.areas, "floor": vocab.floors, "domain": vocab.domains,
            "device_class": vocab.device_classes,
        }
        self.tools = {t for t in tools if not any(o != t and o.startswith(t) for o in tools)}

    def __call__(self, text: str) -> str:
        m = _OPEN_VALUE.search(text)
        if m is not None:
            return self._value(m.group(1), m.group(2))
        k = _KEY.search(text)
        if k is not None and k.group(1) in self.by_key:
            return '":"' + self._value(k.group(1), "")
        if text.startswith(" ") and text[1:] in self.tools:
            return ' {"'
        return ""

    def _value(self, key: str, part: str) -> str:
        values = self.by_key.get(key, ())
        if part in values:
            return ""  # the value may end here ("Fan") or go on ("Fan 2"): the model decides
        fits = [v for v in values if v.startswith(part)]
        if len(fits) == 1:
            return fits[0][len(part):] + '"'
        common = fits[0] if fits else part
        for v in fits[1:]:
            while not v.startswith(common):
                common = common[:-1]
        return common[len(part):]


def finished(text: str) -> bool:
    """The line can only end here: ``none``, or a call whose argument object is closed."""
    line = text.strip()
    if line == "none":
        return True
    _, sep, args = line.partition(" ")
    if not sep or not args.startswith("{") or not args.endswith("}"):
        return False
    try:
        return isinstance(json.loads(args), dict)
    except ValueError:
        return False


def greedy_line(llm: Any, prompt: str, grammar: Any, *, max_tokens: int,
                draft: Callable[[str], str] | None = None, stop: Callable[[], bool] | None = None) -> str:
    """The model's greedy continuation of ``prompt`` under ``grammar``, up to its first newline."""
    tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
    _eval_prompt(llm, tokens)
    sampler = LazyGrammarSampler(llm._model.vocab, grammar, llm._n_vocab)
    eos = llm.token_eos()
    out: list[int] = []

    def over(text: str) -> bool:
        """The line is complete after ``out`` (whose text is ``text``)."""
        return out[-1] == eos or "\n" in text or finished(text) or len(out) >= max_tokens

    try:
        tok = sampler.sample(llm._ctx, -1)
        while True:
            out.append(tok)
            text = _text(llm, out)
            if over(text) or (stop is not None and stop()):
                break
            ahead = draft(text) if draft is not None else ""
            room = max(0, min(MAX_DRAFT, llm.n_ctx() - llm.n_tokens - 1))
            drafted = llm.tokenize(ahead.encode("utf-8"), add_bos=False, special=False)[:room] if ahead else []
            n_past = llm.n_tokens
            batch = [tok, *drafted]
            llm._batch.set_batch(batch=batch, n_past=n_past, logits_all=bool(drafted))
            llm._ctx.decode(llm._batch)
            llm.input_ids[n_past:n_past + len(batch)] = batch
            llm.n_tokens = n_past + len(batch)
            for i in range(len(batch)):
                t = sampler.sample(llm._ctx, i if drafted else -1)
                if i < len(drafted) and t == drafted[i]:
                    out.append(t)
                    if over(_text(llm, out)):
                        return _line(llm, out)
                    continue
                keep = n_past + i + 1  # positions after the disagreement hold dropped drafts
                if keep < llm.n_tokens:
                    llm.n_tokens = keep
                    llm._ctx.kv_cache_seq_rm(-1, keep, -1)
                tok = t
                break
    finally:
        sampler.close()
        llm._requires_eval = True  # the last logits may be a dropped draft's: never reuse them as the prompt's
    return _line(llm, out)


def _eval_prompt(llm: Any, tokens: list[int]) -> None:
    """Evaluate ``tokens``, reusing the longest prefix already in the context (the last token is
    always evaluated again: its logits are the first step's)."""
    cached = llm.input_ids[: llm.n_tokens]
    n = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        n += 1
    n = min(n, len(tokens) - 1)
    llm.n_tokens = n
    llm._ctx.kv_cache_seq_rm(-1, n, -1)
    llm.eval(tokens[n:])


def _text(llm: Any, tokens: list[int]) -> str:
    return llm.detokenize(tokens).decode("utf-8", errors="ignore")


def _line(llm: Any, tokens: list[int]) -> str:
    text = _text(llm, [t for t in tokens if t != llm.token_eos()])
    return text.split("\n", 1)[0]
