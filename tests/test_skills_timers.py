"""Timers on a scripted clock: several at once, named, pause/resume, add/remove, status, announcements."""

from __future__ import annotations

from assistant.home import inventory
from assistant.home.resolve import Resolver
from assistant.skillkit.context import SkillContext
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall
from assistant.skillkit.timers import TimerManager, describe_s

INV = inventory.load(inventory.bundled_path())
REG = SkillRegistry.discover()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def setup() -> tuple[Clock, TimerManager, list[str]]:
    clock = Clock()
    said: list[str] = []
    return clock, TimerManager(clock=clock, on_finish=lambda t: said.append(t.announcement())), said


def run(timers: TimerManager, skill: str, /, *, lang: str = "en", dry: bool = False, **args) -> SkillResult:
    ctx = SkillContext(inventory=INV, resolver=Resolver(INV), timers=timers, language=lang, dry_run=dry)
    return REG.invoke(ToolCall(skill, args), ctx)


def test_named_timers_run_side_by_side_and_are_announced() -> None:
    clock, timers, said = setup()
    res = run(timers, "HassStartTimer", minutes=10, name="pasta")
    assert res.reply == "Pasta timer set for 10 minutes." and res.intents[0].intent == "HassStartTimer"
    assert res.intents[0].slots == {"minutes": 10, "name": "pasta"} and not res.intents[0].actions
    run(timers, "HassStartTimer", minutes=3)
    assert len(timers.all()) == 2
    clock.t += 180
    assert [t.name for t in timers.tick()] == [""]
    assert said == ["Your timer is done."]
    clock.t += 419
    assert timers.tick() == []
    clock.t += 1
    timers.tick()
    assert said[-1] == "Your pasta timer is done." and timers.all() == []


def test_pause_resume_add_remove_status() -> None:
    clock, timers, said = setup()
    run(timers, "HassStartTimer", minutes=5, name="eggs")
    clock.t += 60
    assert run(timers, "HassPauseTimer", name="eggs").reply == "Paused the eggs timer."
    clock.t += 600
    assert timers.tick() == []
    status = run(timers, "HassTimerStatus")
    assert status.reply == "4 minutes left on the eggs timer (paused)."
    run(timers, "HassUnpauseTimer", name="eggs")
    assert run(timers, "HassIncreaseTimer", minutes=1, name="eggs").reply == "Added 1 minute to the eggs timer."
    assert "Took 30 seconds off" in run(timers, "HassDecreaseTimer", seconds=30).reply
    assert timers.left_s(timers.all()[0]) == 270
    clock.t += 270
    timers.tick()
    assert said == ["Your eggs timer is done."]


def test_which_timer_when_several_and_none() -> None:
    clock, timers, _ = setup()
    none = run(timers, "HassCancelTimer")
    assert none.reply == "There's no timer running." and [i.intent for i in none.intents] == ["HassCancelTimer"]
    run(timers, "HassStartTimer", minutes=10, name="pasta")
    run(timers, "HassStartTimer", minutes=20, name="bread")
    ask = run(timers, "HassCancelTimer")
    assert ask.expects_reply and "pasta" in ask.reply and "bread" in ask.reply
    assert run(timers, "HassCancelTimer", name="bread timer").reply == "Cancelled the bread timer."
    assert [t.name for t in timers.all()] == ["pasta"]
    assert run(timers, "HassCancelTimer", name="rice").reply == "There's no rice timer."
    assert run(timers, "HassCancelAllTimers").reply == "Cancelled 1 timer."


def test_chinese_and_dry_run() -> None:
    clock, timers, said = setup()
    res = run(timers, "HassStartTimer", lang="zh", minutes=2, seconds=30)
    assert res.reply == "已设置2分钟30秒的计时器。"
    clock.t += 150
    timers.tick()
    assert said == ["计时器时间到了。"]
    dry = run(timers, "HassStartTimer", dry=True, hours=1)
    assert dry.reply == "Timer set for 1 hour." and timers.all() == []


def test_bad_durations_are_refused() -> None:
    _, timers, _ = setup()
    assert run(timers, "HassStartTimer").error["code"] == "missing_argument"
    assert "24 hours" in run(timers, "HassStartTimer", hours=30).reply
    assert describe_s(3725) == "1 hour, 2 minutes and 5 seconds"
