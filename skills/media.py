"""Media players: pause, resume, next, previous, volume."""

from __future__ import annotations

from typing import Annotated

from assistant.errors import SkillError
from assistant.home.inventory import Entity
from assistant.intents import Action, Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import declare, names, pct, slots

Name = Annotated[str | None, "media player name as spoken, e.g. 'tv'"]
Area = Annotated[str | None, "area as spoken"]


def _players(ctx: SkillContext, name: str | None, area: str | None, prefer: str | None) -> tuple[Entity, ...]:
    """Named players; with no name, the ones in the area, preferring those in state ``prefer``."""
    ents = ctx.targets(name, area=area, domain=None if name else "media_player", domains=("media_player",))
    if not name and prefer is not None:
        busy = tuple(e for e in ents if e.state == prefer)
        if busy:
            return busy
    return ents


def _media(ctx: SkillContext, intent: str, service: str, name: str | None, area: str | None,
           prefer: str | None, en: str, zh: str) -> SkillResult:
    ents = _players(ctx, name, area, prefer)
    return SkillResult(
        reply=ctx.say(f"{en} {names(ents, ctx)}.", f"{names(ents, ctx)}{zh}。"),
        intents=(Intent(intent, slots(name=name, area=area),
                        tuple(Action(service, e.entity_id) for e in ents)),),
    )


@skill("HassMediaPause", **declare(("media_player.media_pause",)))
def pause(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Pause what is playing."""
    return _media(ctx, "HassMediaPause", "media_player.media_pause", name, area, "playing", "Paused", "已暂停")


@skill("HassMediaUnpause", **declare(("media_player.media_play",)))
def unpause(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Resume playback."""
    return _media(ctx, "HassMediaUnpause", "media_player.media_play", name, area, "paused", "Resumed", "继续播放")


@skill("HassMediaNext", **declare(("media_player.media_next_track",)))
def next_track(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Skip to the next track or episode."""
    return _media(ctx, "HassMediaNext", "media_player.media_next_track", name, area, "playing",
                  "Skipped ahead on", "已切到下一首")


@skill("HassMediaPrevious", **declare(("media_player.media_previous_track",)))
def previous_track(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Go back to the previous track or episode."""
    return _media(ctx, "HassMediaPrevious", "media_player.media_previous_track", name, area, "playing",
                  "Went back on", "已切到上一首")


@skill("HassSetVolume", **declare(("media_player.volume_set",)))
def set_volume(
    ctx: SkillContext,
    volume_level: Annotated[int, "volume in percent, 0-100"],
    name: Name = None,
    area: Area = None,
) -> SkillResult:
    """Set a media player's volume in percent."""
    if not 0 <= volume_level <= 100:
        raise SkillError(ctx.say("Volume must be between 0 and 100 percent.", "音量必须在0到100之间。"))
    ents = _players(ctx, name, area, "playing")
    actions = tuple(Action("media_player.volume_set", e.entity_id, {"volume_level": volume_level / 100})
                    for e in ents)
    undo = tuple(
        Intent("HassSetVolume", {"undo": True},
               (Action("media_player.volume_set", e.entity_id, {"volume_level": e.attributes["volume_level"]}),))
        for e in ents if pct(e.attributes.get("volume_level"), 1.0) is not None
    )
    return SkillResult(
        reply=ctx.say(f"Set the volume of {names(ents, ctx)} to {volume_level}%.",
                      f"已把{names(ents, ctx)}的音量调到{volume_level}%。"),
        intents=(Intent("HassSetVolume", slots(volume_level=volume_level, name=name, area=area), actions),),
        undo=undo,
    )
