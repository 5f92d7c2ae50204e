"""Media players: pause, resume, next, previous, volume, mute, and playing something by name."""

from __future__ import annotations

from typing import Annotated, Any

from assistant import i18n
from assistant.errors import SkillError
from assistant.home.inventory import Entity
from assistant.intents import Action, Intent
from assistant.skillkit.context import NeedsChoice, SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import declare, display, names, pct, slots

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
           prefer: str | None, reply: str, data: dict[str, Any] | None = None) -> SkillResult:
    """``reply`` is the table key of the reply; ``data`` the service data."""
    ents = _players(ctx, name, area, prefer)
    return SkillResult(
        reply=ctx.t(reply, names=names(ents, ctx)),
        intents=(Intent(intent, slots(name=name, area=area),
                        tuple(Action(service, e.entity_id, dict(data or {})) for e in ents)),),
    )


@skill("HassMediaPause", **declare(("media_player.media_pause",)))
def pause(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Pause what is playing."""
    return _media(ctx, "HassMediaPause", "media_player.media_pause", name, area, "playing", "media.paused")


@skill("HassMediaUnpause", **declare(("media_player.media_play",)))
def unpause(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Resume playback."""
    return _media(ctx, "HassMediaUnpause", "media_player.media_play", name, area, "paused", "media.resumed")


@skill("HassMediaNext", **declare(("media_player.media_next_track",)))
def next_track(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Skip to the next track or episode."""
    return _media(ctx, "HassMediaNext", "media_player.media_next_track", name, area, "playing",
                  "media.next")


@skill("HassMediaPrevious", **declare(("media_player.media_previous_track",)))
def previous_track(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Go back to the previous track or episode."""
    return _media(ctx, "HassMediaPrevious", "media_player.media_previous_track", name, area, "playing",
                  "media.previous")


@skill("HassSetVolume", **declare(("media_player.volume_set",)))
def set_volume(
    ctx: SkillContext,
    volume_level: Annotated[int, "volume in percent, 0-100"],
    name: Name = None,
    area: Area = None,
) -> SkillResult:
    """Set a media player's volume in percent."""
    if not 0 <= volume_level <= 100:
        raise SkillError(ctx.t("media.volume_range"))
    ents = _players(ctx, name, area, "playing")
    actions = tuple(Action("media_player.volume_set", e.entity_id, {"volume_level": volume_level / 100})
                    for e in ents)
    undo = tuple(
        Intent("HassSetVolume", {"undo": True},
               (Action("media_player.volume_set", e.entity_id, {"volume_level": e.attributes["volume_level"]}),))
        for e in ents if pct(e.attributes.get("volume_level"), 1.0) is not None
    )
    return SkillResult(
        reply=ctx.t("media.volume", names=names(ents, ctx), volume=volume_level),
        intents=(Intent("HassSetVolume", slots(volume_level=volume_level, name=name, area=area), actions),),
        undo=undo,
    )


@skill("HassMediaPlayerMute", services=("media_player.volume_mute",))
def mute(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Mute a media player (the one playing here when none is named)."""
    return _media(ctx, "HassMediaPlayerMute", "media_player.volume_mute", name, area, "playing", "media.muted",
                  {"is_volume_muted": True})


@skill("HassMediaPlayerUnmute", services=("media_player.volume_mute",))
def unmute(ctx: SkillContext, name: Name = None, area: Area = None) -> SkillResult:
    """Unmute a media player."""
    return _media(ctx, "HassMediaPlayerUnmute", "media_player.volume_mute", name, area, "playing",
                  "media.unmuted", {"is_volume_muted": False})


MEDIA_TYPES = {"artist": "music", "album": "music", "track": "music", "playlist": "playlist",
               "podcast": "podcast", "movie": "movie", "tv_show": "tvshow"}
"""Home Assistant's spoken media classes → ``media_content_type``."""


@skill("HassMediaSearchAndPlay", services=("media_player.play_media",))
def search_and_play(
    ctx: SkillContext,
    search_query: Annotated[str, "what to play as spoken, e.g. 'the Beatles', 'Finding Nemo'"],
    name: Name = None,
    area: Area = None,
    media_class: Annotated[str | None, "kind of media: artist, album, track, playlist, podcast, movie, tv_show"]
    = None,
) -> SkillResult:
    """Find a film, show, song, album or playlist by name and play it on a media player."""
    query = search_query.strip().strip(".,!?。！？")
    if not query:
        raise SkillError(ctx.t("media.play_what"), code="missing_argument")
    ents = _players(ctx, name, area, None)
    if len(ents) > 1:  # one film on one screen: ask rather than pick
        choices = [display(e, ctx) for e in ents]
        raise NeedsChoice(ctx.t("target.which", what=i18n.kind("media_player", ctx.language),
                                choices=i18n.join(choices, ctx.language, conjunction="or")), choices)
    kind = (media_class or "").casefold().replace(" ", "_")
    data = {"media_content_id": query, "media_content_type": MEDIA_TYPES.get(kind, "music")}
    return SkillResult(
        reply=ctx.t("media.play", names=names(ents, ctx), query=query),
        intents=(Intent("HassMediaSearchAndPlay", slots(search_query=query, name=name, area=area,
                                                          media_class=media_class),
                        tuple(Action("media_player.play_media", e.entity_id, data) for e in ents)),),
    )
