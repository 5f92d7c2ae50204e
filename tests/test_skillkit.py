"""@skill → JSON schema, argument validation, errors as data, and plugin discovery through entry points."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Annotated, Literal

import pytest

from assistant.cli import main
from assistant.config import Config
from assistant.errors import ConfigError, SkillError
from assistant.home import inventory
from assistant.home.resolve import Resolver
from assistant.skillkit.context import SkillContext
from assistant.skillkit.registry import GROUP, SkillRegistry
from assistant.skillkit.skill import SkillResult, skill
from assistant.skillkit.spec import ToolCall
from assistant.skillkit.timers import TimerManager

PLUGIN = Path(__file__).parent / "plugin_example"


@skill("Demo")
def demo(
    ctx: SkillContext,
    count: Annotated[int, "minutes, 1-180"],
    mode: Literal["fast", "slow"] = "fast",
    label: str | None = None,
    ratio: float = 1.0,
    loud: bool = False,
    tags: list[str] | None = None,
) -> SkillResult:
    """Do a demo thing.

    Second paragraph is not part of the description.
    """
    return SkillResult(reply=f"{count} {mode} {label} {ratio} {loud} {tags} {ctx.language}")


def ctx(**kw) -> SkillContext:
    inv = inventory.load(inventory.bundled_path())
    return SkillContext(inventory=inv, resolver=Resolver(inv), timers=TimerManager(), **kw)


def test_schema_from_type_hints() -> None:
    spec = demo.spec
    assert spec.name == "Demo"
    assert spec.description == "Do a demo thing."
    props = spec.parameters["properties"]
    assert "ctx" not in props
    assert props["count"] == {"type": "integer", "description": "minutes, 1-180"}
    assert props["mode"] == {"type": "string", "enum": ["fast", "slow"]}
    assert props["label"] == {"type": "string"}
    assert props["ratio"] == {"type": "number"}
    assert props["loud"] == {"type": "boolean"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert spec.parameters["required"] == ["count"]
    assert spec.parameters["additionalProperties"] is False


def test_unsupported_types_fail_at_definition() -> None:
    with pytest.raises(TypeError, match="unsupported parameter type"):
        @skill()
        def bad(x: dict) -> str:  # type: ignore[type-arg]
            """Bad."""
            return ""
    with pytest.raises(TypeError, match="type hint"):
        @skill()
        def untyped(x) -> str:  # type: ignore[no-untyped-def]
            """Untyped."""
            return ""
    with pytest.raises(TypeError, match="docstring"):
        @skill()
        def undocumented(x: int) -> str:
            return ""


def test_arguments_are_validated_and_coerced() -> None:
    out = demo(ctx(language="zh"), count=5.0, mode="SLOW", loud="true", tags="a")
    assert out.reply == "5 slow None 1.0 True ['a'] zh"
    for bad, needle in [({"count": 1, "colour": "red"}, "no argument 'colour'"),
                        ({"count": "many"}, "must be integer"),
                        ({"count": 1.5}, "must be integer"),
                        ({"count": 1, "mode": "medium"}, "one of"),
                        ({}, "needs count")]:
        with pytest.raises(SkillError) as e:
            demo(ctx(), **bad)
        assert needle in e.value.message


def test_registry_returns_errors_as_data() -> None:
    reg = SkillRegistry([demo])
    bad = reg.invoke(ToolCall("Demo", {"count": "x"}), ctx())
    assert bad.error is not None and bad.error["code"] == "bad_argument" and "count" in bad.error["message"]
    assert bad.reply.startswith("Sorry")
    missing = reg.invoke(ToolCall("Nope", {}), ctx())
    assert missing.error["code"] == "unknown_skill" and "Demo" in missing.error["message"]
    ok = reg.invoke(ToolCall("Demo", {"count": 2}), ctx())
    assert ok.error is None and ok.reply.startswith("2 fast")


def test_first_party_skills_come_through_entry_points() -> None:
    names = {ep.name for ep in metadata.entry_points(group=GROUP)}
    assert {"devices", "lights", "timers", "nevermind"} <= names
    reg = SkillRegistry.discover()
    for name in ("HassTurnOn", "HassLightSet", "HassStartTimer", "HassGetState", "HassNevermind",
                 "HassShoppingListAddItem", "HassVacuumStart", "HassGetWeather", "HassSetPosition"):
        assert name in reg
    off = SkillRegistry.discover(disabled=["HassVacuumStart"])
    assert "HassVacuumStart" not in off and "HassTurnOn" in off


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory):
    """The example package, built and installed into a private directory put on sys.path."""
    target = tmp_path_factory.mktemp("site")
    src = tmp_path_factory.mktemp("src") / "plugin"
    shutil.copytree(PLUGIN, src, ignore=shutil.ignore_patterns("build", "*.egg-info"))  # keep the tree clean
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(src)],
        check=True, capture_output=True, timeout=300,
    )
    sys.path.insert(0, str(target))
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        sys.modules.pop("hearth_plant_skill", None)


def test_third_party_skill_present_only_when_enabled(installed_plugin: Path) -> None:
    eps = {ep.name: ep for ep in metadata.entry_points(group=GROUP)}
    assert "plants" in eps
    assert "PlantsThirsty" not in SkillRegistry.discover()
    reg = SkillRegistry.discover(enabled=["plants"])
    assert "PlantsThirsty" in reg and "HassTurnOn" in reg
    spec = reg.get("PlantsThirsty").spec
    assert spec.parameters["properties"]["threshold"]["type"] == "integer"
    out = reg.invoke(ToolCall("PlantsThirsty", {"threshold": 40}), ctx())
    assert out.error is None and out.reply == "All plants are fine."


def test_unknown_enabled_skill_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no installed package provides"):
        SkillRegistry.discover(enabled=["no-such-plugin"])


def test_hearth_skills_lists_every_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["skills", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["HassSetVolume"]["parameters"]["required"] == ["volume_level"]
    assert listed["HassClimateSetTemperature"]["parameters"]["properties"]["temperature"]["type"] == "number"
    assert main(["skills"]) == 0
    text = capsys.readouterr().out
    assert "HassStartTimer: Start a countdown timer" in text and "minutes: integer" in text


def test_context_is_injected_not_exposed() -> None:
    assert all("ctx" not in s.spec.parameters["properties"] for s in SkillRegistry.discover())
    assert Config().brain.skills == ()
