"""The real bundled LLM in a big home with confusable names: it may ask, it never acts on a wrong device."""

from __future__ import annotations

import pytest

from assistant.app import build_brain
from assistant.brain.candidates import MAX_ENTITIES
from assistant.config import Config
from assistant.home import synthetic

pytestmark = pytest.mark.slow


def test_the_llm_path_never_acts_on_a_wrong_device() -> None:
    home = synthetic.make_home(300)
    cmds = [c for c in synthetic.commands(home, 40) if c.style == "llm"][:8]
    assert any(not c.expected for c in cmds) and any(c.expected for c in cmds)
    brain = build_brain(Config(), inventory=home, publish=False)
    assert brain.tool_caller is not None
    brain.warm()
    shown: list[int] = []
    inner = brain.tool_caller.call

    def spy(text: str, **kw: object):  # type: ignore[no-untyped-def]
        shown.append(len(kw["inventory"].entities))  # type: ignore[attr-defined]
        return inner(text, **kw)  # type: ignore[arg-type]

    brain.tool_caller.call = spy  # type: ignore[method-assign]
    llm = 0
    for c in cmds:
        u = brain.understand(c.text, area=c.area, execute=False)
        acted = {a.entity_id for i in u.intents for a in i.actions}
        assert not acted - set(c.expected), (c.text, acted, u.reply)
        llm += u.path == "llm"
    assert llm >= len(cmds) // 2 and shown and max(shown) <= MAX_ENTITIES
