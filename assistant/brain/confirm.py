"""The confirmation dialogue around :class:`assistant.brain.gate.Gate`: what Hearth asks and answers
while a sensitive request waits for "yes" and the PIN."""

from __future__ import annotations

from assistant import i18n
from assistant.brain.gate import Gate, Pending, is_yes
from assistant.home.inventory import Inventory
from assistant.home.resolve import Resolver
from assistant.i18n.names import entity_name
from assistant.intents import Action
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall


def _error(key: str, lang: str, code: str, message: str) -> SkillResult:
    return SkillResult(reply=i18n.text(key, lang), error={"code": code, "message": message})


def _not_here(lang: str) -> SkillResult:
    return _error("confirm.not_here", lang, "not_allowed_here", "sensitive")


def answer(gate: Gate, pending: Pending, text: str, lang: str, area_id: str | None,
           resolver: Resolver) -> tuple[SkillResult | None, Pending | None]:
    """The reply to a waiting sensitive request: go on (None), ask for the PIN, or call it off."""
    if not gate.allowed_here(area_id, resolver):
        return _not_here(lang), None
    if pending.stage == "yes":
        if not is_yes(text):
            return SkillResult(reply=i18n.text("brain.cancelled", lang)), None
        if gate.needs_pin:
            if gate.locked_out():
                return _error("confirm.locked_out", lang, "pin_locked", "locked"), None
            nxt = Pending(pending.call, pending.intents, stage="pin")
            return SkillResult(reply=i18n.text("confirm.say_pin", lang), expects_reply=True), nxt
    elif not gate.check_pin(text):
        key = "confirm.locked_out" if gate.locked_out() else "confirm.wrong_pin"
        return _error(key, lang, "wrong_pin", "wrong PIN"), None
    if pending.call is None:  # a confirmed undo
        return SkillResult(reply=i18n.text("brain.undone", lang), intents=pending.intents), None
    return None, None


def guard(gate: Gate, result: SkillResult, call: ToolCall | None, lang: str, area_id: str | None,
          inventory: Inventory, resolver: Resolver) -> tuple[SkillResult, Pending | None]:
    """Hold back sensitive intents (or a skill's own "are you sure?") until confirmed."""
    if result.confirm is not None:
        if not gate.allowed_here(area_id, resolver):
            return _not_here(lang), None
        return result, Pending(result.confirm)
    risky = gate.sensitive(result.intents, inventory)
    if not risky:
        return result, None
    if not gate.allowed_here(area_id, resolver):
        return _not_here(lang), None
    what = _describe(risky, inventory, lang)
    undo = call is None  # only an undo produces intents without a call
    q = SkillResult(reply=i18n.text("confirm.undo" if undo else "confirm.action", lang, what=what),
                    expects_reply=True)
    return q, Pending(None if undo else call, result.intents if undo else ())


def _describe(actions: list[Action], inventory: Inventory, lang: str) -> str:
    """ "unlock the Front Door" / "解锁前门": what the held-back actions would do, in the speaker's words."""
    parts = []
    for a in actions:
        e = inventory.entity(a.entity_id) if a.entity_id else None
        who = entity_name(e, lang) if e else (a.entity_id or "")
        svc = a.service.split(".", 1)[1]
        verb = i18n.text(f"verb.{svc}" if i18n.has(f"verb.{svc}", lang) else "verb.other", lang)
        parts.append(i18n.text("confirm.what", lang, verb=verb, name=who))
    return i18n.text("list.separator", lang).join(dict.fromkeys(parts))
