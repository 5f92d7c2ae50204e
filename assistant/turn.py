"""End of turn: how long a pause must last before the speaker counts as finished, decided from
the words heard so far as well as from the silence.

A pause after a whole command ("turn on the kitchen light") ends the turn quickly; a pause after
words that cannot end a command ("turn on the", "把客厅的", a trailing "and") waits up to about a
second. The words come from the speculative transcription that starts as soon as silence begins;
whether they make a whole command is the brain's verdict (a template match with every slot, or an
LLM call grounded in the words), the rules below say when they plainly do not.
"""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass

from assistant.config import VadConfig


class Verdict(enum.Enum):
    PENDING = "pending"
    """The words are still being transcribed or understood."""
    COMPLETE = "complete"
    """A whole command: a template matched with every slot, a follow-up, or a valid LLM call."""
    INCOMPLETE = "incomplete"
    """The words cannot end a command (a trailing article, preposition or conjunction, a lone verb)."""
    UNSURE = "unsure"
    """Neither: the words might be all there is."""


@dataclass(frozen=True, slots=True)
class TurnPolicy:
    """Silence needed after speech, per verdict, seconds."""

    complete_s: float
    unsure_s: float
    incomplete_s: float

    @classmethod
    def from_config(cls, cfg: VadConfig) -> TurnPolicy:
        if not cfg.semantic_end:
            s = cfg.trailing_silence_s
            return cls(s, s, s)
        return cls(cfg.complete_silence_s, cfg.trailing_silence_s,
                   max(cfg.incomplete_silence_s, cfg.trailing_silence_s))

    def silence_needed_s(self, verdict: Verdict) -> float:
        """A pending verdict waits as long as an incomplete one: ending before the words are known
        is what cuts a speaker off; the verdict ends the wait as soon as it arrives."""
        if verdict is Verdict.COMPLETE:
            return self.complete_s
        if verdict is Verdict.UNSURE:
            return self.unsure_s
        return self.incomplete_s


class TurnGuess:
    """The verdict on one speculative reading of the words so far; set once from a worker thread."""

    def __init__(self) -> None:
        self._verdict = Verdict.PENDING
        self._ready = threading.Event()
        self.text = ""

    @property
    def verdict(self) -> Verdict:
        return self._verdict

    def decide(self, verdict: Verdict, text: str = "") -> None:
        if self._ready.is_set():
            return
        self.text = text
        self._verdict = verdict
        self._ready.set()

    def wait(self, timeout_s: float) -> Verdict:
        self._ready.wait(max(0.0, timeout_s))
        return self._verdict


def silence_needed_s(policy: TurnPolicy, guess: TurnGuess | None, silence_s: float, *,
                     live: bool, frame_s: float) -> float:
    """Silence that must pass before the turn ends, given what is known of the words so far.

    Once the silence would be enough for a complete command, a pending verdict is waited for:
    live, for less than one frame (the microphone keeps filling its queue meanwhile); from a
    file, until it arrives, so a recording always ends the same way whatever the CPU's speed.
    """
    if guess is None:
        return policy.silence_needed_s(Verdict.PENDING)
    verdict = guess.verdict
    fixed = policy.complete_s == policy.incomplete_s  # nothing to learn from the words
    if verdict is Verdict.PENDING and not fixed and silence_s >= policy.complete_s - 1e-9:
        verdict = guess.wait(0.9 * frame_s if live else 30.0)
    return policy.silence_needed_s(verdict)


# ---- words that cannot end a command ----------------------------------------------------------

_EN_OPEN_TAIL = frozenset({
    # articles, possessives, determiners
    "the", "a", "an", "my", "our", "your", "his", "her", "their", "these", "those", "some", "every",
    "each", "both",
    # prepositions that need an object
    "to", "of", "in", "into", "at", "for", "with", "from", "by", "about", "than", "onto",
    "too",  # Whisper's spelling of a "to" cut off by a pause ("set the bedroom light too.")
    # conjunctions and connectives
    "and", "or", "but", "then", "plus", "if", "because", "when", "until",
    # verbs and question words still waiting for their complement
    "turn", "switch", "make", "put", "change", "tell", "what's", "whats", "how", "which", "could",
    "can", "would", "will",
    # fillers
    "um", "uh", "er", "erm", "hmm", "like",
})
_EN_MODALS = frozenset({"could", "can", "would", "will"})
_EN_PARTICLES = frozenset({"on", "off", "up", "down"})
_EN_NEEDS_PARTICLE = frozenset({"turn", "switch"})
_EN_WORD = re.compile(r"[a-z0-9']+")

_ZH_OPEN_TAIL = (
    # structural particles, conjunctions, prepositions and coverbs
    "的", "和", "与", "跟", "及", "或", "或者", "还有", "然后", "再", "并且", "而且", "以及",
    "把", "将", "给", "让", "请", "在", "往", "向",
    # verbs still waiting for their value
    "调到", "设到", "开到", "拉到", "降到", "升到", "加到", "减到", "定到", "设置到", "调成", "设成",
    "改成", "变成", "调为", "设为", "改为", "设置为", "告诉我", "查一下",
    # fillers
    "嗯", "呃", "那个", "这个", "就是",
)
_ZH_POLITE = ("请你", "请", "麻烦你", "麻烦", "帮我", "帮忙", "给我", "你")
_ZH_LONE_VERBS = frozenset({"打开", "关闭", "关掉", "关上", "开", "关", "调", "调整", "设置", "播放",
                            "开启", "打开一下", "关一下", "把"})
_ZH_VERBS = ("开", "关", "调", "设", "拉", "放", "升", "降", "锁", "停", "启动", "播", "加", "减", "暗",
             "亮", "收", "合")
_ZH_NOUNS_WITH_VERB_CHARS = ("空调", "开关")
_ZH_PUNCT = "。！？!?，、,；;：: …."
_TRAILING_OPEN_MARK = re.compile(r"(,|，|、|…|\.\.\.|—|-|;|；|:|：)\s*$")


def open_ended(text: str) -> bool:
    """True when ``text`` cannot be the end of a command in English or Chinese: it ends in an
    article, preposition, conjunction, auxiliary, filler or a verb still waiting for its object,
    or in a comma, dash or ellipsis (Whisper writes those where speech trails off)."""
    raw = text.strip()
    if not raw:
        return False
    if _TRAILING_OPEN_MARK.search(raw):
        return True
    if re.search(r"[\u3400-\u9fff]", raw):
        return _zh_open(raw)
    return _en_open(raw)


def _en_open(text: str) -> bool:
    toks = _EN_WORD.findall(text.lower().replace("’", "'"))
    if not toks:
        return False
    if toks[-1] in _EN_OPEN_TAIL:
        return True
    if len(toks) >= 2 and toks[-1] == "you" and toks[-2] in _EN_MODALS:  # "could you"
        return True
    # "turn the kitchen light" still needs its "on" or "off".
    return toks[0] in _EN_NEEDS_PARTICLE and not _EN_PARTICLES & set(toks[1:])


def _zh_open(text: str) -> bool:
    core = text.rstrip(_ZH_PUNCT)
    if not core:
        return False
    if any(core.endswith(w) for w in _ZH_OPEN_TAIL):
        return True
    rest = core
    while True:  # "请帮我打开": only a verb is left once the politeness is taken off
        prefix = next((p for p in _ZH_POLITE if rest.startswith(p) and len(rest) > len(p)), None)
        if prefix is None:
            break
        rest = rest[len(prefix):]
    if rest in _ZH_LONE_VERBS:
        return True
    # "把卧室的灯…": the 把 construction still waits for its verb.
    i = core.rfind("把")
    if i >= 0:
        after = core[i + 1:]
        for noun in _ZH_NOUNS_WITH_VERB_CHARS:
            after = after.replace(noun, "")
        if not any(v in after for v in _ZH_VERBS):
            return True
    return False
