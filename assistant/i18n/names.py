"""Names of devices and rooms as the speaker's language says them, and why a target was not found.

A Home Assistant home names things once, usually in one language; a Chinese alias ("客厅灯") is
what a Chinese reply should say. Resolution failures are worded here from the tables, so that a
kind of device reaches the user as a word of their language ("窗帘"), never as a domain id.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant import i18n
from assistant.home import words
from assistant.home.inventory import Area, Entity
from assistant.home.resolve import Resolution


def _in_language(names: Iterable[str], language: str) -> str | None:
    zh = i18n.base(language) == "zh"
    return next((n for n in names if n.strip() and words.is_chinese(n) == zh), None)


def entity_name(e: Entity, language: str) -> str:
    """The entity's name, or its first alias in the speaker's script."""
    return _in_language((e.name, *e.aliases), language) or e.name


def area_name(a: Area, language: str) -> str:
    return _in_language((a.name, *a.aliases), language) or a.name


def spoken_kind(spoken: str, language: str) -> str | None:
    """The kind of device ``spoken`` is, in ``language``, when it names a kind ("cover", "lights")."""
    dom = words.domain_of_word(spoken) if spoken.strip() else None
    if dom is None:
        return None
    return i18n.kind(dom, language, plural=True)


def failure(res: Resolution, language: str) -> str:
    """A short sentence to speak when ``res`` is not one usable set of targets."""
    lang = i18n.base(language)
    names = [entity_name(e, lang) for e in res.entities]
    where = area_name(res.area, lang) if res.area is not None else ""
    if res.status == "ambiguous":
        listed = i18n.join(names, lang, conjunction="or")
        head = (words.normalize(res.spoken).split() or ["one"])[-1]
        if "_" in res.spoken or words.is_chinese(head) != (lang == "zh"):
            head = spoken_kind(res.spoken, lang) or i18n.kind("device", lang)
        return i18n.text("target.which", lang, what=head, choices=listed)
    if res.status == "no_area":
        return i18n.text("target.no_area", lang, area=res.spoken)
    if res.status == "unsupported":
        return i18n.text("target.unsupported", lang, name=names[0] if names else res.spoken)
    if res.status == "none":
        kind = spoken_kind(res.spoken, lang)
        said = words.normalize(res.spoken)
        domain_id = "_" in res.spoken or said in words.DOMAIN_NAMES_EN  # a slot value, not a word said
        if kind is not None and said and not domain_id and words.is_chinese(said) == (lang == "zh"):
            kind = said  # the speaker's own word for it ("curtains", "窗帘")
        if kind is not None:
            return i18n.text("target.no_kind_in" if where else "target.no_kind", lang, kind=kind, area=where)
        return i18n.text("target.none_in" if where else "target.none", lang, name=res.spoken, area=where)
    return res.message(lang)
