"""The skill registry: first-party and third-party skills, all found through the ``hearth.skills`` group.

An entry point may name a module (every :class:`Skill` in it is taken), a single Skill, or a list
of Skills. Entry points shipped by the ``hearth`` distribution itself are always on; any other
is on only when its entry-point name is listed in ``[brain] skills``.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Iterable
from importlib import metadata
from typing import Any

from assistant.errors import ConfigError, SkillError
from assistant.skillkit.context import NeedsChoice, SkillContext
from assistant.skillkit.skill import Skill, SkillResult
from assistant.skillkit.spec import ToolCall, ToolSpec

log = logging.getLogger(__name__)

GROUP = "hearth.skills"
FIRST_PARTY_DIST = "hearth"


def skills_in(obj: Any) -> list[Skill]:
    """The skills an entry point's object provides."""
    if isinstance(obj, Skill):
        return [obj]
    if isinstance(obj, types.ModuleType):
        return [v for v in vars(obj).values() if isinstance(v, Skill)]
    if isinstance(obj, list | tuple) and all(isinstance(v, Skill) for v in obj):
        return list(obj)
    raise TypeError(f"{obj!r} is not a skill, a list of skills or a module of skills")


def _is_first_party(ep: metadata.EntryPoint) -> bool:
    dist = getattr(ep, "dist", None)
    return dist is not None and (dist.name or "").lower() == FIRST_PARTY_DIST


class SkillRegistry:
    """Skills by name; :meth:`invoke` runs one and turns every refusal into data."""

    def __init__(self, skills: Iterable[Skill] = ()) -> None:
        self._skills: dict[str, Skill] = {}
        for s in skills:
            self.add(s)

    def add(self, s: Skill) -> None:
        if s.name in self._skills:
            log.warning("skill %s is defined twice; keeping the first", s.name)
            return
        self._skills[s.name] = s

    @classmethod
    def discover(
        cls,
        enabled: Iterable[str] = (),
        disabled: Iterable[str] = (),
        entry_points: Iterable[metadata.EntryPoint] | None = None,
    ) -> SkillRegistry:
        """Load first-party skills and the enabled third-party ones from the entry-point group.

        ``enabled``: third-party entry-point names; an unknown one is a ConfigError naming the
        ones available. ``disabled``: skill names to leave out. A plugin that fails to import is
        logged and skipped, so one broken package cannot take the assistant down.
        """
        eps = list(entry_points if entry_points is not None else metadata.entry_points(group=GROUP))
        wanted = set(enabled)
        third = {ep.name for ep in eps if not _is_first_party(ep)}
        unknown = wanted - third - {ep.name for ep in eps}
        if unknown:
            raise ConfigError(
                f"[brain] skills names {', '.join(sorted(unknown))}, which no installed package provides"
                f" in the {GROUP!r} entry-point group; available: {', '.join(sorted(third)) or 'none'}"
            )
        reg = cls()
        off = set(disabled)
        first = sorted((ep for ep in eps if _is_first_party(ep)), key=lambda e: e.name)
        others = sorted((ep for ep in eps if not _is_first_party(ep) and ep.name in wanted), key=lambda e: e.name)
        if not first:
            log.warning("no first-party skills found in %s; is hearth installed (pip install -e .)?", GROUP)
        for ep in first + others:
            try:
                found = skills_in(ep.load())
            except Exception:
                log.exception("skill package %s (%s) failed to load; skipped", ep.name, ep.value)
                continue
            for s in found:
                if s.name not in off:
                    reg.add(s)
        return reg

    def names(self) -> list[str]:
        return sorted(self._skills)

    def get(self, name: str) -> Skill | None:
        return self._skills.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._skills[n] for n in self.names())

    def specs(self) -> list[ToolSpec]:
        return [s.spec for s in self]

    def invoke(self, call: ToolCall, ctx: SkillContext) -> SkillResult:
        """Run ``call``; an unknown skill, bad argument or skill failure comes back as ``error``."""
        s = self._skills.get(call.name)
        if s is None:
            msg = f"no skill named {call.name!r}; available: {', '.join(self.names())}"
            return SkillResult(reply=ctx.t("brain.cant"),
                               error={"code": "unknown_skill", "message": msg})
        try:
            result = s(ctx, **call.args)
        except NeedsChoice as e:
            return SkillResult(reply=e.message, expects_reply=True, choices=e.choices,
                               error={"code": e.code, "message": e.message})
        except SkillError as e:
            return SkillResult(reply=_apology(ctx) if e.code in _INTERNAL else e.message,
                               error=e.as_dict())
        except Exception as e:
            log.exception("skill %s failed", call.name)
            return SkillResult(reply=_apology(ctx), error={"code": "skill_failed", "message": str(e)})
        undeclared = sorted(undeclared_services(s, result))
        if undeclared:
            msg = (f"skill {s.name} asked for {', '.join(undeclared)}, which it does not declare in "
                   f"@skill(services=...); declared: {', '.join(sorted(s.services)) or 'none'}")
            log.error("%s; nothing was done", msg)
            return SkillResult(reply=ctx.t("skill.cannot"),
                               error={"code": "undeclared_service", "message": msg})
        return result

    def services(self) -> frozenset[str]:
        """Every Home Assistant service an enabled skill may call: Home Assistant's allow-list."""
        return frozenset(svc for s in self for svc in s.services)

    def sensitive(self) -> frozenset[str]:
        """The declared services that need a confirmation and a short time to live."""
        return frozenset(svc for s in self for svc in s.sensitive)

    def device_intents(self) -> list[str]:
        """Skills that act on the home (they declare at least one service)."""
        return [s.name for s in self if s.services]


def undeclared_services(s: Skill, result: SkillResult) -> set[str]:
    """Services in a result's intents (and its undo) that ``s`` did not declare."""
    return {a.service for i in (*result.intents, *result.undo) for a in i.actions} - s.services


_INTERNAL = {"bad_argument", "missing_argument"}
"""Error codes whose message is meant for the caller (the LLM), not for the user's ears."""


def _apology(ctx: SkillContext) -> str:
    return ctx.t("brain.failed")
