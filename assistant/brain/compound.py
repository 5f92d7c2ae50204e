"""Several commands in one breath: "turn off the hall lamp and then close the blinds", "关灯然后拉上窗帘".

The sentence is cut at its conjunctions (and, then, 和, 然后, 再 …) only when the whole does not
match a template and every piece looks like a command of its own, so "add salt and pepper to the
list" stays one command. A piece without a verb ("… and the bedroom light") is read as a
follow-up of the piece before it.
"""

from __future__ import annotations

import re

from assistant.home import words
from assistant.i18n import text as i18n_text
from assistant.intents import Understanding

_EN_SPLIT = re.compile(
    r"\s*(?:,|;)?\s+(?:and\s+then|and\s+also|and\s+afterwards|and\s+after\s+that|after\s+that|and|then|also)\s+"
    r"|\s*[,;]\s+(?=\w)",
    re.IGNORECASE,
)
_ZH_SPLIT = re.compile(r"(?:[，,；;、]?\s*(?:然后再|然后|接着|之后再|之后|并且|同时|还有|再|和|跟|并|，|,|；|;))")
EN_VERBS = frozenset({
    "turn", "switch", "set", "open", "close", "shut", "lock", "unlock", "start", "stop", "pause", "resume",
    "play", "mute", "unmute", "dim", "brighten", "raise", "lower", "add", "put", "cancel", "arm", "disarm",
    "send", "return", "make", "change", "increase", "decrease", "activate", "deactivate", "what",
    "what's", "whats", "is", "are", "tell", "announce", "broadcast", "remind", "skip",
})
ZH_VERBS = ("打开", "开", "关", "把", "将", "设", "调", "播放", "放", "暂停", "继续", "锁", "解锁", "启动",
            "停", "取消", "加", "添加", "拉", "静音", "让", "给", "帮", "请", "现在", "告诉", "通知", "广播")
MAX_PARTS = 4


def split(text: str) -> list[str]:
    """The pieces of ``text`` between conjunctions (one piece when there is none)."""
    t = text.strip()
    parts = _ZH_SPLIT.split(t) if words.is_chinese(t) else _EN_SPLIT.split(t)
    parts = [p.strip(" ,.;，。；!?！？") for p in parts]
    parts = [p for p in parts if p]
    return parts if 1 < len(parts) <= MAX_PARTS else [t]


def has_verb(part: str) -> bool:
    """Whether ``part`` starts like a command or question of its own."""
    if words.is_chinese(part):
        return part.startswith(ZH_VERBS) or any(v in part for v in ("打开", "关掉", "关上", "关闭"))
    first = part.split()[0].casefold() if part.split() else ""
    return first in EN_VERBS or first in ("please", "could", "can")


def as_followup(part: str) -> str:
    """A verbless piece as the follow-up it is ("the bedroom light" → "and the bedroom light")."""
    return f"还有{part}" if words.is_chinese(part) else f"and {part}"


def combine(text: str, language: str, parts: list[Understanding], ms: float) -> Understanding:
    """One answer for several: every intent, the replies in order, one path."""
    paths = {u.path for u in parts}
    path = "fast" if paths == {"fast"} else "llm" if "llm" in paths else "fast" if "fast" in paths else "none"
    glue = i18n_text("brain.compound_join", language)
    return Understanding(
        text=text,
        reply=glue.join(u.reply for u in parts),
        intents=tuple(i for u in parts for i in u.intents),
        path=path,
        ms=ms,
        language=language,
        expects_reply=any(u.expects_reply for u in parts),
    )
