"""Device skills: on/off/toggle, lights, covers, climate, media, vacuum, and spoken confirmation."""

from __future__ import annotations

import pytest

from assistant.home import inventory
from assistant.home.resolve import Resolver
from assistant.skillkit.context import SkillContext
from assistant.skillkit.registry import SkillRegistry
from assistant.skillkit.skill import SkillResult
from assistant.skillkit.spec import ToolCall
from assistant.skillkit.timers import TimerManager

INV = inventory.load(inventory.bundled_path())
REG = SkillRegistry.discover()


def run(skill: str, /, *, lang: str = "en", here: str | None = None, confirmed: bool = False,
        **args) -> SkillResult:
    """Invoke a skill as the brain would; ``here`` is the speaker's room."""
    ctx = SkillContext(inventory=INV, resolver=Resolver(INV), timers=TimerManager(), language=lang,
                       area=here, confirmed=confirmed)
    return REG.invoke(ToolCall(skill, args), ctx)


def actions(res: SkillResult) -> list[tuple[str, str, dict]]:
    return [(a.service, a.entity_id, a.data) for i in res.intents for a in i.actions]


def test_turn_on_off_by_name_area_and_domain() -> None:
    on = run("HassTurnOn", name="kitchen light")
    assert actions(on) == [("light.turn_on", "light.kitchen", {})]
    assert on.intents[0].intent == "HassTurnOn" and on.intents[0].slots == {"name": "kitchen light"}
    assert on.reply == "Turned on the Kitchen Light."
    off = run("HassTurnOff", area="kitchen", domain="light")
    assert {a[1] for a in actions(off)} == {"light.kitchen", "light.kitchen_counter"}
    assert {a[0] for a in actions(off)} == {"light.turn_off"}
    assert actions(run("HassTurnOn", name="blinds")) == [("cover.open_cover", "cover.living_room_blinds", {})]
    assert actions(run("HassTurnOff", name="tv")) == [("media_player.turn_off", "media_player.living_room_tv", {})]
    assert actions(run("HassToggle", name="fan")) == [("fan.toggle", "fan.living_room", {})]
    zh = run("HassTurnOn", lang="zh", name="客厅灯")
    assert actions(zh) == [("light.turn_on", "light.living_room_ceiling", {})] and zh.reply == "已打开客厅灯。"


def test_undo_restores_previous_state() -> None:
    res = run("HassTurnOn", name="desk lamp")  # on at brightness 255 already
    assert res.undo and res.undo[0].actions[0].service == "light.turn_on"
    res = run("HassTurnOn", name="kitchen light")  # off before
    assert res.undo[0].actions[0].service == "light.turn_off"


def test_unknown_and_ambiguous_targets_are_replies_not_guesses() -> None:
    res = run("HassTurnOn", name="toaster")
    assert not res.intents and res.reply == "I don't know a device called toaster."
    amb = run("HassTurnOn", name="lamp")
    assert not amb.intents and amb.expects_reply and set(amb.choices) == {"Floor Lamp", "Bedside Lamp", "Desk Lamp"}


@pytest.mark.parametrize(
    ("call", "args", "service", "entity", "question"),
    [
        ("HassTurnOff", {"name": "front door"}, "lock.unlock", "lock.front_door", "unlock the Front Door"),
        ("HassTurnOn", {"name": "garage door"}, "cover.open_cover", "cover.garage_door", "open the Garage Door"),
        ("HassTurnOff", {"name": "alarm"}, "alarm_control_panel.alarm_disarm", "alarm_control_panel.home",
         "disarm the Alarm"),
    ],
)
def test_sensitive_devices_ask_first(call: str, args: dict, service: str, entity: str, question: str) -> None:
    ask = run(call, **args)
    assert ask.expects_reply and not ask.intents and ask.confirm == ToolCall(call, args)
    assert ask.reply == f"Are you sure you want to {question}?"
    done = run(call, confirmed=True, **args)
    assert actions(done) == [(service, entity, {})]


def test_light_set_brightness_colour_temperature() -> None:
    assert actions(run("HassLightSet", name="bedroom light", brightness=40)) == [
        ("light.turn_on", "light.bedroom", {"brightness_pct": 40})]
    assert actions(run("HassLightSet", name="floor lamp", color="red")) == [
        ("light.turn_on", "light.floor_lamp", {"color_name": "red"})]
    assert actions(run("HassLightSet", name="客厅灯", color="蓝色", lang="zh")) == [
        ("light.turn_on", "light.living_room_ceiling", {"color_name": "blue"})]
    assert actions(run("HassLightSet", name="big light", temperature="warm")) == [
        ("light.turn_on", "light.living_room_ceiling", {"color_temp_kelvin": 2700})]
    assert actions(run("HassLightSet", name="big light", temperature="4000")) == [
        ("light.turn_on", "light.living_room_ceiling", {"color_temp_kelvin": 4000})]
    assert actions(run("HassLightSet", name="kitchen light", brightness_step=-20)) == [
        ("light.turn_on", "light.kitchen", {"brightness_step_pct": -20})]
    assert actions(run("HassLightSet", name="kitchen light", brightness=0)) == [("light.turn_off", "light.kitchen", {})]


def test_light_set_refuses_what_the_light_cannot_do() -> None:
    res = run("HassLightSet", name="kitchen light", color="red")
    assert not res.intents and "can't change colour" in res.reply
    assert "brightness" in run("HassLightSet", name="hallway light", brightness=50).reply
    res = run("HassLightSet", name="kitchen light", brightness=150)
    assert not res.intents and "between 0 and 100" in res.reply
    assert not run("HassLightSet", name="coffee maker", brightness=50).intents


def test_cover_position_climate_media_vacuum() -> None:
    assert actions(run("HassSetPosition", name="blinds", position=30)) == [
        ("cover.set_cover_position", "cover.living_room_blinds", {"position": 30})]
    assert actions(run("HassSetPosition", area="bedroom", position=100)) == [
        ("cover.set_cover_position", "cover.bedroom_curtains", {"position": 100})]
    assert actions(run("HassClimateSetTemperature", temperature=22, area="hallway")) == [
        ("climate.set_temperature", "climate.thermostat", {"temperature": 22})]
    assert actions(run("HassClimateSetTemperature", temperature=23.5, name="air con")) == [
        ("climate.set_temperature", "climate.bedroom_ac", {"temperature": 23.5})]
    assert actions(run("HassSetVolume", volume_level=35, name="tv")) == [
        ("media_player.volume_set", "media_player.living_room_tv", {"volume_level": 0.35})]
    # No name, no player in the room: the one that is playing.
    assert actions(run("HassMediaPause", here="bedroom")) == [
        ("media_player.media_pause", "media_player.living_room_tv", {})]
    assert actions(run("HassMediaNext", name="kitchen speaker")) == [
        ("media_player.media_next_track", "media_player.kitchen_speaker", {})]
    assert actions(run("HassVacuumStart")) == [("vacuum.start", "vacuum.robot", {})]
    assert actions(run("HassVacuumReturnToBase", name="roomba")) == [("vacuum.return_to_base", "vacuum.robot", {})]
    assert "between 0 and 100" in run("HassSetVolume", volume_level=140, name="tv").reply


def test_climate_get_temperature_reads_the_room() -> None:
    res = run("HassClimateGetTemperature", area="hallway")
    assert res.reply == "The Thermostat reads 20.5 °C." and not actions(res)
    assert "24" in run("HassClimateGetTemperature", area="bedroom").reply
    assert "19" in run("HassClimateGetTemperature", name="bedroom temperature").reply
    garage = run("HassClimateGetTemperature", area="garage")
    assert not garage.intents and garage.reply == "I don't have a temperature reading for the Garage."
