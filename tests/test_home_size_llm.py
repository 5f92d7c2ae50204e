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


def test_a_rename_or_a_state_change_never_re_evaluates_the_home() -> None:
    """At 2,000 entities the whole home would be tens of thousands of tokens; after a rename the
    LLM evaluates only the command's few candidates, and after a state change only the request."""
    home = synthetic.make_home(2000)
    brain = build_brain(Config(), inventory=home, publish=False)
    assert brain.tool_caller is not None
    brain.warm()
    llm = brain.tool_caller.llm  # type: ignore[attr-defined]
    evaluated: list[int] = []
    original = llm.eval

    def counting(tokens):  # type: ignore[no-untyped-def]
        evaluated.append(len(tokens))
        return original(tokens)

    llm.eval = counting
    text = "could you get the " + home.entities[100].name + " going"
    brain.understand(text, execute=False)
    brain.set_inventory(synthetic.renamed(home))
    evaluated.clear()
    brain.understand(text, execute=False)
    assert evaluated and evaluated[0] < 400, evaluated  # candidates + request, not the home
    brain.inventory.set_state(home.entities[100].entity_id, "on")
    evaluated.clear()
    brain.understand(text, execute=False)
    assert evaluated and evaluated[0] < 40, evaluated  # only what follows the unchanged prompt
