"""The confirmation dialogue around :class:`assistant.brain.gate.Gate`: what Hearth asks and answers
while a sensitive request waits for "yes" and the PIN."""

from __future__ import annotations

from assistant.brain.gate import Gate, Pending, is_yes
from assistant.home import words
from assistant.home.inventory import Inventory
from assistant.home.resolve import Resolver
from assistant.intents import Action
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall

CANCELLED = ("Okay, I won't.", "好的，已取消。")
UNDONE = ("Okay, I've put it back.", "好的，已恢复。")
CONFIRM_UNDO = ("Undoing that would {what}. Are you sure?", "撤销会{what}。确定吗？")
CONFIRM_ACTION = ("Are you sure you want to {what}?", "确定要{what}吗？")
SAY_PIN = ("Please say your PIN.", "请说出密码。")
WRONG_PIN = ("That PIN is not right, so I won't do it.", "密码不对，我不会执行。")
LOCKED_OUT = ("Too many wrong PINs. Try again in a few minutes.", "密码错误次数过多，请几分钟后再试。")
NOT_HERE = ("Sorry, that can't be done from this room.", "抱歉，这个房间不能执行这个操作。")


def answer(gate: Gate, pending: Pending, text: str, zh: bool, area_id: str | None,
           resolver: Resolver) -> tuple[SkillResult | None, Pending | None]:
    """The reply to a waiting sensitive request: go on (None), ask for the PIN, or call it off."""
    if not gate.allowed_here(area_id, resolver):
        return SkillResult(reply=NOT_HERE[zh], error={"code": "not_allowed_here", "message": "sensitive"}), None
    if pending.stage == "yes":
        if not is_yes(text):
            return SkillResult(reply=CANCELLED[zh]), None
        if gate.needs_pin:
            if gate.locked_out():
                return SkillResult(reply=LOCKED_OUT[zh], error={"code": "pin_locked", "message": "locked"}), None
            nxt = Pending(pending.call, pending.intents, stage="pin")
            return SkillResult(reply=SAY_PIN[zh], expects_reply=True), nxt
    elif not gate.check_pin(text):
        reply = LOCKED_OUT[zh] if gate.locked_out() else WRONG_PIN[zh]
        return SkillResult(reply=reply, error={"code": "wrong_pin", "message": "wrong PIN"}), None
    if pending.call is None:  # a confirmed undo
        return SkillResult(reply=UNDONE[zh], intents=pending.intents), None
    return None, None


def guard(gate: Gate, result: SkillResult, call: ToolCall | None, zh: bool, area_id: str | None,
          inventory: Inventory, resolver: Resolver) -> tuple[SkillResult, Pending | None]:
    """Hold back sensitive intents (or a skill's own "are you sure?") until confirmed."""
    if result.confirm is not None:
        if not gate.allowed_here(area_id, resolver):
            return SkillResult(reply=NOT_HERE[zh], error={"code": "not_allowed_here", "message": "sensitive"}), None
        return result, Pending(result.confirm)
    risky = gate.sensitive(result.intents, inventory)
    if not risky:
        return result, None
    if not gate.allowed_here(area_id, resolver):
        return SkillResult(reply=NOT_HERE[zh], error={"code": "not_allowed_here", "message": "sensitive"}), None
    what = _describe(risky, inventory, zh)
    undo = call is None  # only an undo produces intents without a call
    tmpl = (CONFIRM_UNDO if undo else CONFIRM_ACTION)[zh]
    q = SkillResult(reply=tmpl.format(what=what), expects_reply=True)
    return q, Pending(None if undo else call, result.intents if undo else ())


_ZH_VERBS = {"unlock": "解锁", "lock": "锁上", "open_cover": "打开", "close_cover": "关上", "alarm_disarm": "撤防",
             "alarm_arm_away": "布防", "alarm_arm_home": "布防", "open_valve": "打开", "close_valve": "关闭",
             "set_cover_position": "调整", "turn_on": "打开", "turn_off": "关闭", "toggle": "切换"}


def _describe(actions: list[Action], inventory: Inventory, zh: bool) -> str:
    """ "unlock the Front Door" / "解锁前门": what the held-back actions would do."""
    parts = []
    for a in actions:
        e = inventory.entity(a.entity_id) if a.entity_id else None
        who = (next((x for x in e.aliases if words.is_chinese(x)), e.name) if zh else e.name) if e else (
            a.entity_id or "")
        svc = a.service.split(".", 1)[1]
        verb = _ZH_VERBS.get(svc, svc) if zh else svc.replace("_", " ").replace("alarm ", "").replace(" cover", "")
        parts.append(f"{verb}{who}" if zh else f"{verb} the {who}")
    return ("、" if zh else ", ").join(dict.fromkeys(parts))
