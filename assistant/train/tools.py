"""The built-in skill catalogue as tool specs: what the adapter is trained on and scored against.

Mirrors the skill contract (Home Assistant intent names, arguments as spoken) so training does not
depend on the skills package being importable; at run time the live registry's specs are used.
"""

from __future__ import annotations

from typing import Any

from assistant.skillkit.spec import ToolSpec

_S: dict[str, Any] = {"type": "string"}
_PCT: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 100}
_NUM: dict[str, Any] = {"type": "number"}
_TARGET = {"name": _S, "area": _S}
_INT: dict[str, Any] = {"type": "integer"}
_DURATION = {"hours": _INT, "minutes": _INT, "seconds": _INT, "name": _S}
_WHICH_TIMER = {"name": _S, "start_hours": _INT, "start_minutes": _INT, "start_seconds": _INT, "area": _S}


def _tool(name: str, doc: str, props: dict[str, Any], required: tuple[str, ...] = ()) -> ToolSpec:
    schema: dict[str, Any] = {"type": "object", "properties": dict(props)}
    if required:
        schema["required"] = list(required)
    return ToolSpec(name, doc, schema)


CATALOGUE: tuple[ToolSpec, ...] = (
    _tool("HassTurnOn", "Turn on, open or lock devices.",
          {"name": _S, "area": _S, "floor": _S, "domain": _S, "device_class": _S}),
    _tool("HassTurnOff", "Turn off, close or unlock devices.",
          {"name": _S, "area": _S, "floor": _S, "domain": _S, "device_class": _S}),
    _tool("HassToggle", "Toggle devices.", {"name": _S, "area": _S, "domain": _S}),
    _tool("HassLightSet", "Set brightness, colour or white temperature of lights.",
          {"name": _S, "area": _S, "brightness": _PCT, "color": _S,
           "temperature": _S, "brightness_step": _INT}),
    _tool("HassClimateSetTemperature", "Set the target temperature.",
          {"temperature": _NUM, "name": _S, "area": _S}, ("temperature",)),
    _tool("HassClimateGetTemperature", "Read the temperature.", _TARGET),
    _tool("HassSetPosition", "Set a cover's position in percent.",
          {"position": _PCT, "name": _S, "area": _S, "domain": _S, "device_class": _S}, ("position",)),
    _tool("HassGetState", "Answer questions about device states.",
          {"name": _S, "area": _S, "domain": _S, "state": _S, "device_class": _S}),
    _tool("HassMediaPause", "Pause media.", _TARGET),
    _tool("HassMediaUnpause", "Resume media.", _TARGET),
    _tool("HassMediaNext", "Next track.", _TARGET),
    _tool("HassMediaPrevious", "Previous track.", _TARGET),
    _tool("HassSetVolume", "Set the volume in percent.",
          {"volume_level": _PCT, "name": _S, "area": _S}, ("volume_level",)),
    _tool("HassStartTimer", "Start a timer.", _DURATION),
    _tool("HassCancelTimer", "Cancel a timer.", _WHICH_TIMER),
    _tool("HassCancelAllTimers", "Cancel every timer.", {}),
    _tool("HassPauseTimer", "Pause a timer.", _WHICH_TIMER),
    _tool("HassUnpauseTimer", "Resume a timer.", _WHICH_TIMER),
    _tool("HassTimerStatus", "Time left on timers.", _WHICH_TIMER),
    _tool("HassIncreaseTimer", "Add time to a timer.", {**_DURATION, **_WHICH_TIMER}),
    _tool("HassDecreaseTimer", "Remove time from a timer.", {**_DURATION, **_WHICH_TIMER}),
    _tool("HassGetCurrentTime", "The current time.", {}),
    _tool("HassGetCurrentDate", "Today's date.", {}),
    _tool("HassGetWeather", "The weather.", {"name": _S}),
    _tool("HassShoppingListAddItem", "Add to the shopping list.", {"item": _S}, ("item",)),
    _tool("HassShoppingListCompleteItem", "Check an item off the shopping list.", {"item": _S},
          ("item",)),
    _tool("HassListAddItem", "Add an item to a to-do list.", {"item": _S, "name": _S}, ("item",)),
    _tool("HassListCompleteItem", "Check an item off a to-do list.",
          {"item": _S, "name": _S}, ("item",)),
    _tool("HassVacuumStart", "Start vacuuming.", _TARGET),
    _tool("HassVacuumReturnToBase", "Send the vacuum home.", _TARGET),
    _tool("HassVacuumStop", "Stop the vacuum where it is.", _TARGET),
    _tool("HassNevermind", "Cancel the current request.", {}),
    _tool("HassBroadcast", "Announce a message in every room.", {"message": _S}, ("message",)),
    _tool("HassRespond", "Answer a question about Hearth itself.",
          {"response": {"type": "string", "enum": ["hello", "listening", "data", "commands", "creator", "name"]}},
          ("response",)),
    _tool("HassMediaPlayerMute", "Mute a media player.", _TARGET),
    _tool("HassMediaPlayerUnmute", "Unmute a media player.", _TARGET),
    _tool("HassMediaSearchAndPlay", "Play a film, show, song or playlist by name.",
          {"search_query": _S, "name": _S, "area": _S, "media_class": _S}, ("search_query",)),
)


def training_tools() -> tuple[ToolSpec, ...]:
    """The first-party skills' live specs when the skills package loads, else :data:`CATALOGUE`."""
    try:
        from assistant.skillkit.registry import SkillRegistry

        specs = tuple(s.spec for s in SkillRegistry.discover() if s.llm)  # what the LLM is offered
    except Exception:  # training must not depend on the skills package importing cleanly
        specs = ()
    return specs or CATALOGUE
