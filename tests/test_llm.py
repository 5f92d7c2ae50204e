"""The LLM tool caller with the real bundled model and Hearth's adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import modelstore
from assistant.brain.llm import ADAPTER_ID, LlamaToolCaller
from assistant.config import Config
from assistant.errors import ModelError
from assistant.home import inventory
from assistant.skillkit.spec import ToolCall
from assistant.train.tools import training_tools

pytestmark = pytest.mark.slow

HOME = inventory.parse({
    "areas": [{"id": "kitchen", "name": "Kitchen"}, {"id": "bedroom", "name": "Bedroom"},
              {"id": "study", "name": "Study"}, {"id": "woshi", "name": "卧室"}, {"id": "keting", "name": "客厅"}],
    "entities": [
        {"entity_id": "light.kitchen", "name": "Kitchen Light", "area": "kitchen"},
        {"entity_id": "switch.kettle", "name": "Kettle", "area": "kitchen"},
        {"entity_id": "light.bedroom_lamp", "name": "Bedside Lamp", "area": "bedroom"},
        {"entity_id": "fan.study", "name": "Study Fan", "area": "study"},
        {"entity_id": "light.woshi", "name": "卧室灯", "area": "woshi"},
        {"entity_id": "media_player.keting", "name": "客厅电视", "area": "keting"},
        {"entity_id": "weather.home", "name": "Home", "area": None},
    ],
})
TOOLS = training_tools()


@pytest.fixture(scope="module")
def caller() -> LlamaToolCaller:
    c = LlamaToolCaller.from_config(Config())
    c.warm(TOOLS, HOME)
    return c


def _call(caller: LlamaToolCaller, text: str, area: str | None = None):
    return caller.call(text, tools=TOOLS, inventory=HOME, area=area)


def test_default_config_loads_the_bundled_adapter(caller: LlamaToolCaller) -> None:
    assert caller.adapter == modelstore.path(ADAPTER_ID)
    assert not caller.chat


COMMANDS = [
    ("turn on the kitchen light", None, ToolCall("HassTurnOn", {"name": "Kitchen Light"})),
    ("switch off the study fan", "kitchen", ToolCall("HassTurnOff", {"name": "Study Fan"})),
    ("set a timer for 12 minutes", None, ToolCall("HassStartTimer", {"minutes": 12})),
    ("turn off the lights in the bedroom", None, ToolCall("HassTurnOff", {"area": "Bedroom", "domain": "light"})),
    ("set the bedside lamp to 30%", None, ToolCall("HassLightSet", {"name": "Bedside Lamp", "brightness": 30})),
    ("add milk to the shopping list", None, ToolCall("HassShoppingListAddItem", {"item": "milk"})),
    ("把卧室灯关掉", None, ToolCall("HassTurnOff", {"name": "卧室灯"})),
    ("打开客厅电视", None, ToolCall("HassTurnOn", {"name": "客厅电视"})),
    ("定一个5分钟的计时器", None, ToolCall("HassStartTimer", {"minutes": 5})),
    ("现在几点了", None, ToolCall("HassGetCurrentTime", {})),
]


def test_commands_give_the_right_call(caller: LlamaToolCaller) -> None:
    """Most clear commands in both languages come out exactly right (held-out figures: hearth eval)."""
    right, wrong = [], []
    for text, area, want in COMMANDS:
        r = _call(caller, text, area)
        assert r.ms > 0
        (right if r.call == want else wrong).append((text, r.raw))
    assert len(right) >= 7, wrong
    assert any(t for t, _ in right if not t.isascii()), "no Chinese command was right"
    assert any(t for t, _ in right if t.isascii()), "no English command was right"


@pytest.mark.parametrize("text", ["tell me a joke", "what's the capital of France", "我今天很累"])
def test_off_topic_gives_no_call(caller: LlamaToolCaller, text: str) -> None:
    r = _call(caller, text, "kitchen")
    assert r.call is None, r.raw


def test_unknown_device_is_never_called(caller: LlamaToolCaller) -> None:
    r = _call(caller, "turn on the jacuzzi")
    assert r.call is None or r.call.args.get("name") != "jacuzzi", r.raw
    assert r.call is None or r.call.args.get("name") in {e.name for e in HOME.entities}


def test_warm_prefix_is_reused_between_commands(caller: LlamaToolCaller,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.brain import prompt

    n_prefix = len(caller.llm.tokenize(prompt.prefix(TOOLS, HOME).encode(), add_bos=True))
    evaluated: list[int] = []
    original = caller.llm.eval

    def counting(tokens):
        evaluated.append(len(tokens))
        return original(tokens)

    monkeypatch.setattr(caller.llm, "eval", counting)
    _call(caller, "what's the weather like")
    assert evaluated, "nothing evaluated"
    assert evaluated[0] < 40 < n_prefix, (evaluated, n_prefix)  # only the request, not the prefix


def test_corrupt_gguf_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelError, match=r"broken\.gguf"):
        LlamaToolCaller(bad)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="not a GGUF"):
        LlamaToolCaller(junk)


def test_missing_user_model_is_a_model_error(tmp_path: Path) -> None:
    cfg = Config().replace("brain", llm_model=str(tmp_path / "nope.gguf"))
    with pytest.raises(ModelError, match=r"nope\.gguf"):
        LlamaToolCaller.from_config(cfg)


def test_chat_model_tool_calls_written_as_text_are_parsed() -> None:
    from assistant.brain.llm import _call_in_text

    got = _call_in_text('<tool_call>\n{"name": "HassTurnOn", "arguments": {"name": "Kitchen Light"}}\n</tool_call>')
    assert got == ToolCall("HassTurnOn", {"name": "Kitchen Light"})
    got = _call_in_text('{"name": "HassStartTimer", "parameters": "{\\"minutes\\": 5}"}')
    assert got == ToolCall("HassStartTimer", {"minutes": 5})
    assert _call_in_text("Sure! The capital of France is Paris.") is None


def test_lazy_grammar_picks_what_the_full_grammar_filter_picks(caller: LlamaToolCaller) -> None:
    """Asking the grammar only about the likeliest token decodes exactly what llama-cpp-python's
    whole-vocabulary filter decodes, also where the model's own pick is not allowed."""
    from llama_cpp import Llama

    from assistant.brain import prompt
    from assistant.brain.lazygrammar import LazyGrammarSampler

    near = inventory.parse({
        "areas": [{"id": "study", "name": "Study"}],
        "entities": [{"entity_id": "light.study_lamp", "name": "Study Lamp", "area": "study"},
                     {"entity_id": "light.study_ceiling", "name": "Study Ceiling Light", "area": "study"},
                     {"entity_id": "cover.study", "name": "Study Curtains", "area": "study"}],
    })
    runtime = caller.loaded_path == caller.model_path  # the adapter applied at run time, not merged
    ref = Llama(model_path=str(caller.loaded_path), n_ctx=2048, verbose=False,
                **({"lora_path": str(caller.adapter)} if runtime else {}))
    refused = 0
    for text in ("turn on the study ceiling lamp", "close the curtains in the study", "turn on the jacuzzi",
                 "open the study blinds", "start the sprinkler in the garden"):
        full = prompt.render(text, tools=TOOLS, inventory=near, area="study", history=())
        g = caller._grammar(TOOLS, near)
        ours = caller.llm.create_completion(full, max_tokens=48, temperature=0.0, top_k=1, stop=["\n"], grammar=g)
        assert isinstance(caller.llm._sampler, LazyGrammarSampler)
        refused += caller.llm._sampler.refusals
        theirs = ref.create_completion(full, max_tokens=48, temperature=0.0, top_k=1, stop=["\n"], grammar=g)
        assert ours["choices"][0]["text"] == theirs["choices"][0]["text"], text
    assert refused > 0  # the model's own pick was refused somewhere, and the shortlist chose the same
    # A grammar the model would never follow by itself: the shortlist fails, the whole vocabulary is filtered.
    from llama_cpp import LlamaGrammar

    odd = LlamaGrammar.from_string('root ::= " Zygote" [0-9] [0-9] " quokka"', verbose=False)
    full = prompt.render("turn on the study lamp", tools=TOOLS, inventory=near, area="study", history=())
    ours = caller.llm.create_completion(full, max_tokens=12, temperature=0.0, top_k=1, grammar=odd)
    assert caller.llm._sampler.full_filters > 0
    theirs = ref.create_completion(full, max_tokens=12, temperature=0.0, top_k=1, grammar=odd)
    assert ours["choices"][0]["text"] == theirs["choices"][0]["text"]


def test_the_merged_model_answers_as_the_adapter_applied_at_run_time(caller: LlamaToolCaller) -> None:
    """The bundled adapter is folded into the base (cached) and decodes what the run-time adapter does."""
    from assistant.brain import prompt

    assert caller.loaded_path != caller.model_path and caller.loaded_path.exists()
    runtime = LlamaToolCaller(caller.model_path, adapter=caller.adapter, merge=False)
    assert runtime.loaded_path == caller.model_path
    texts = ("turn on the kitchen light", "switch the kettle off", "it's too dark in the bedroom",
             "what's the weather like", "把卧室的灯打开", "客厅电视关掉", "start the study fan please",
             "tell me a joke")
    same = 0
    for text in texts:
        full = prompt.render(text, tools=TOOLS, inventory=HOME, area="kitchen", history=())
        g = caller._grammar(TOOLS, HOME)
        a = caller._complete(full, g)
        b = runtime._complete(full, runtime._grammar(TOOLS, HOME))
        same += a == b
    assert same == len(texts)


def test_merging_is_cached_and_a_bad_adapter_falls_back_to_run_time(tmp_path: Path, caller: LlamaToolCaller) -> None:
    from assistant.brain import merge

    first = merge.merged(caller.model_path, caller.adapter, tmp_path)
    stamp = first.stat().st_mtime_ns
    assert merge.merged(caller.model_path, caller.adapter, tmp_path) == first
    assert first.stat().st_mtime_ns == stamp and not list(tmp_path.glob("*.part"))
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        merge.merged(caller.model_path, caller.model_path, tmp_path)  # a model is no adapter
    assert not list(tmp_path.glob("*.part"))
    elsewhere = tmp_path / "trained" / caller.adapter.name  # another adapter file of the same name
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(caller.adapter.read_bytes())
    second = merge.merged(caller.model_path, elsewhere, tmp_path)
    assert second != first and first.exists()  # one adapter's merge never removes another's


def test_drafted_names_change_no_line_only_the_steps(caller: LlamaToolCaller) -> None:
    """Decoding with the home's names drafted ahead writes the library's own greedy line, in fewer steps."""
    from assistant.brain import grammar, prompt
    from assistant.brain.decode import NameDrafter, greedy_line

    near = inventory.parse({
        "areas": [{"id": "den", "name": "Den"}, {"id": "east_kitchen", "name": "East Kitchen"}],
        "entities": [{"entity_id": "fan.den", "name": "Fan", "area": "den"},
                     {"entity_id": "fan.den_2", "name": "Fan 2", "area": "den"},
                     {"entity_id": "fan.ek", "name": "East Kitchen Ceiling Fan", "area": "east_kitchen"},
                     {"entity_id": "light.ek", "name": "East Kitchen Ceiling Light", "area": "east_kitchen"}],
    })
    steps = {"plain": 0, "drafted": 0, "library": 0}
    ctx = caller.llm._ctx
    decode = ctx.decode

    def counted(batch):  # type: ignore[no-untyped-def]
        steps[mode] += 1
        return decode(batch)

    ctx.decode = counted
    try:
        for text in ("switch on the east kitchen ceiling fan", "turn off fan 2", "turn on the fan in the den",
                     "lights off in the east kitchen", "turn on the jacuzzi"):
            full = prompt.render(text, tools=TOOLS, inventory=near, area=None, history=())
            g = caller._grammar(TOOLS, near)
            mode = "plain"
            plain = greedy_line(caller.llm, full, g, max_tokens=64)
            mode = "drafted"
            drafted = greedy_line(caller.llm, full, g, max_tokens=64,
                                  draft=NameDrafter(grammar.Vocabulary(near), [t.name for t in TOOLS]))
            mode = "library"
            library = caller.llm.create_completion(full, max_tokens=64, temperature=0.0, top_k=1, stop=["\n"],
                                                   grammar=g)["choices"][0]["text"]
            assert plain == drafted == library, text
    finally:
        del ctx.decode
    assert steps["drafted"] < 0.85 * steps["plain"] < steps["library"]
