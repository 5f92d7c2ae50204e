"""The ``@skill`` decorator: a typed, documented function becomes a tool with a JSON schema."""

from __future__ import annotations

import inspect
import logging
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import SkillError
from assistant.intents import Intent
from assistant.skillkit import schema
from assistant.skillkit.spec import ToolCall, ToolSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SkillResult:
    """What a skill hands back: the reply to speak and the intents it acted through."""

    reply: str
    intents: tuple[Intent, ...] = ()
    expects_reply: bool = False
    """The reply is a question; the next utterance answers it."""
    confirm: ToolCall | None = None
    """A call waiting for a spoken "yes" (locks, alarms, garage doors)."""
    undo: tuple[Intent, ...] = ()
    """Intents that put things back as they were ("undo", "cancel that")."""
    choices: tuple[str, ...] = ()
    """Names offered when the reply asks "which one?"."""
    error: dict[str, str] | None = None
    """``{"code", "message"}`` when the skill refused or failed; the reply is then an apology."""


@dataclass(frozen=True, slots=True)
class Skill:
    """A registered skill: its tool spec, its parameters and the function that runs it."""

    spec: ToolSpec
    params: tuple[schema.Param, ...]
    func: Callable[..., Any] = field(repr=False)
    context_param: str | None = None
    """Name of the injected ``SkillContext`` parameter, if the function takes one."""
    needs_confirmation: bool = False
    services: frozenset[str] = frozenset()
    """Home Assistant services (``domain.service``) this skill may put in its intents' actions."""
    sensitive: frozenset[str] = frozenset()
    """The subset of ``services`` that needs a spoken confirmation and a shorter time to live."""
    sentences: tuple[str, ...] = ()
    """Regular expressions matched against the whole utterance (case-folded, without end
    punctuation) that call this skill directly; named groups become arguments."""
    llm: bool = True
    """Offered to the LLM as a tool; False = only its sentences reach it."""

    @property
    def name(self) -> str:
        return self.spec.name

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        return schema.validate(args, list(self.params), self.name)

    def __call__(self, ctx: Any, **args: Any) -> SkillResult:
        """Validate ``args`` and run; SkillError propagates for the caller to turn into data."""
        clean = self.validate(args)
        if self.context_param:
            clean[self.context_param] = ctx
        out = self.func(**clean)
        if isinstance(out, str):
            return SkillResult(reply=out)
        if not isinstance(out, SkillResult):
            raise SkillError(f"skill {self.name} returned {type(out).__name__}, not SkillResult or str")
        return out


def _is_context(annotation: Any) -> bool:
    from assistant.skillkit.context import SkillContext

    return annotation is SkillContext


def _check_services(func_name: str, services: tuple[str, ...], sensitive: tuple[str, ...]) -> None:
    for svc in (*services, *sensitive):
        domain, _, service = svc.partition(".")
        if not domain or not service or "." in service:
            raise TypeError(f"skill {func_name}: {svc!r} is not a 'domain.service' name")
    extra = set(sensitive) - set(services)
    if extra:
        raise TypeError(f"skill {func_name}: sensitive services {sorted(extra)} are not in its services")


def skill(
    name: str | None = None,
    *,
    description: str | None = None,
    needs_confirmation: bool = False,
    services: tuple[str, ...] = (),
    sensitive: tuple[str, ...] = (),
    sentences: tuple[str, ...] = (),
    llm: bool = True,
) -> Callable[[Callable[..., Any]], Skill]:
    """Turn a function into a :class:`Skill`.

    The docstring's first paragraph is the tool description; parameter types (see
    :mod:`assistant.skillkit.schema`) become the JSON schema; a parameter annotated
    ``SkillContext`` is injected at call time and left out of the schema. An unsupported type
    raises TypeError here, at import.

    ``services`` is the one declaration of what the skill may ask Home Assistant to do
    (``"light.turn_on"``); ``sensitive`` names those that need a confirmation (unlock, disarm,
    open a garage door or a valve). Everything else (allow-lists, grammar tables) derives from it.
    """

    def wrap(func: Callable[..., Any]) -> Skill:
        hints = typing.get_type_hints(func, include_extras=True)
        params: list[schema.Param] = []
        ctx_name: str | None = None
        for p in inspect.signature(func).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"skill {func.__name__}: *args/**kwargs are not allowed")
            if p.name not in hints:
                raise TypeError(f"skill {func.__name__}: parameter {p.name!r} needs a type hint")
            if _is_context(hints[p.name]):
                ctx_name = p.name
                continue
            try:
                params.append(schema.param(p.name, hints[p.name], p.default is not p.empty))
            except TypeError as e:
                raise TypeError(f"skill {func.__name__}, parameter {p.name!r}: {e}") from None
        doc = description or inspect.getdoc(func) or ""
        desc = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
        if not desc:
            raise TypeError(f"skill {func.__name__} needs a docstring (it becomes the tool description)")
        _check_services(func.__name__, services, sensitive)
        for pat in sentences:
            try:
                re.compile(pat)
            except re.error as e:
                raise TypeError(f"skill {func.__name__}: sentence {pat!r} is not a regular expression: {e}") from None
        domains = tuple(sorted({s.split(".", 1)[0] for s in services}))
        spec = ToolSpec(name or func.__name__, desc, schema.object_schema(params), domains)
        return Skill(spec, tuple(params), func, ctx_name, needs_confirmation,
                     frozenset(services), frozenset(sensitive), tuple(sentences), llm)

    return wrap
