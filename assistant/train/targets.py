"""Fills phrasing templates for one home: how a device, area or amount is said, and the argument it means."""

from __future__ import annotations

import random
import re
from typing import Any

from assistant.home.inventory import Area, Entity, Inventory
from assistant.train import pools


class NoTarget(Exception):
    """The home has nothing this template could refer to; draw another one."""


KIND_DOMAINS = {
    "on": ("light", "switch", "fan", "media_player"), "off": ("light", "switch", "fan", "media_player"),
    "open": ("cover",), "close": ("cover",), "lock": ("lock",), "unlock": ("lock",),
    "toggle": ("light", "switch", "fan"), "brightness": ("light",), "color": ("light",),
    "kelvin": ("light",), "clim_set": ("climate",), "clim_get": ("climate", "sensor"),
    "position": ("cover",), "state_on": ("light", "switch", "fan", "media_player"),
    "state_cover": ("cover",), "state_lock": ("lock",),
    "state_any": ("light", "switch", "fan", "cover", "media_player", "lock", "vacuum", "climate"),
    "pause": ("media_player",), "unpause": ("media_player",), "next": ("media_player",),
    "prev": ("media_player",), "volume": ("media_player",), "vstart": ("vacuum",),
    "vreturn": ("vacuum",), "vstop": ("vacuum",), "mute": ("media_player",), "unmute": ("media_player",),
    "play": ("media_player",),
}
KIND_MODES = {
    "on": ("name", "name", "name", "name_area", "area_domain", "area_domain", "room_domain",
           "floor_domain", "domain_all", "area_all"),
    "open": ("name", "name", "name", "area_dc", "room_dc"), "toggle": ("name", "name", "area_domain"),
    "brightness": ("name", "name", "name", "name_area", "area_only", "room_only"),
    "position": ("name", "name", "name", "area_only"),
}
KIND_MODES["off"] = KIND_MODES["on"]
KIND_MODES["close"] = KIND_MODES["open"]
KIND_MODES["color"] = KIND_MODES["kelvin"] = KIND_MODES["brightness"]
DOMAIN_WORD = {"en": {"light": ("light", "lights"), "fan": ("fan", "fans")},
               "zh": {"light": ("灯", "灯"), "fan": ("风扇", "风扇")}}
DC_WORD = {
    "en": {"blind": "blinds", "curtain": "curtains", "shade": "shades", "shutter": "shutters",
           "window": "windows", "garage": "garage door", "awning": "awning", "gate": "gate"},
    "zh": {"curtain": "窗帘", "blind": "百叶窗", "shade": "卷帘", "window": "窗户", "garage": "车库门",
           "gate": "大门", "awning": "遮阳篷"},
}
ZH_GENERIC = ("灯", "风扇", "空调", "窗帘", "电视", "音箱", "锁")


class Filler:
    """Fills one template; ``args`` collects the call's arguments, ``verbatim`` the untouchable text."""

    def __init__(self, rng: random.Random, home: Inventory, lang: str, room: str | None,
                 part: str, kind: str) -> None:
        self.rng, self.home, self.lang, self.part, self.kind = rng, home, lang, part, kind
        self.room = home.area(room) if room else None
        self.args: dict[str, Any] = {}
        self.verbatim: list[str] = []

    @property
    def room_name(self) -> str | None:
        return self.room.name if self.room else None

    # -- spoken forms -------------------------------------------------------------------------
    def _say(self, text: str, article: bool = True) -> str:
        if self.lang == "zh":
            return text
        spoken = text.lower() if self.rng.random() < 0.75 else text
        if article and self.rng.random() < 0.85:
            return ("my " if self.rng.random() < 0.06 else "the ") + spoken
        return spoken

    def _say_area(self, a: Area) -> tuple[str, str]:
        label = self.rng.choice(a.aliases) if a.aliases and self.rng.random() < 0.4 else a.name
        return self._say(label), label

    def _entities(self, domains: tuple[str, ...]) -> list[Entity]:
        return [e for e in self.home.entities if e.domain in domains]

    def names(self, domain: str) -> list[str]:
        return [n for e in self._entities((domain,)) for n in (e.name, *e.aliases)]

    # -- placeholders -------------------------------------------------------------------------
    def fill(self, text: str) -> str:
        for key in re.findall(r"\{(\w+)\}", text):
            value = getattr(self, f"_p_{key}")()
            text = text.replace("{" + key + "}", value, 1)
        return text

    def _p_t(self) -> str:
        domains = KIND_DOMAINS[self.kind]
        modes = list(KIND_MODES.get(self.kind, ("name",)))
        self.rng.shuffle(modes)
        for mode in [*modes, "name"]:
            spoken = getattr(self, f"_m_{mode}")(domains)
            if spoken is not None:
                return spoken
        raise NoTarget

    def _m_name(self, domains: tuple[str, ...]) -> str | None:
        ents = self._entities(domains)
        if not ents:
            return None
        e = self.rng.choice(ents)
        label = self.rng.choice(e.aliases) if e.aliases and self.rng.random() < 0.4 else e.name
        self.args["name"] = label
        return self._say(label)

    def _m_name_area(self, domains: tuple[str, ...]) -> str | None:
        ents = [e for e in self._entities(domains) if e.area and self.home.area(e.area)
                and self.home.area(e.area).name not in e.name]  # type: ignore[union-attr]
        if not ents:
            return None
        e = self.rng.choice(ents)
        spoken_area, area = self._say_area(self.home.area(e.area))  # type: ignore[arg-type]
        self.args.update(name=e.name, area=area)
        if self.lang == "zh":
            return f"{spoken_area}的{e.name}"
        return f"{self._say(e.name)} in {spoken_area}"

    def _areas_with(self, domain: str, dc: str | None = None) -> list[Area]:
        return [a for a in self.home.areas if any(
            e.area == a.id and e.domain == domain and (dc is None or e.attributes.get("device_class") == dc)
            for e in self.home.entities)]

    def _clash(self, area: Area, word: str) -> bool:
        """True when a device is itself called like "<area> <word>" (then the name wins)."""
        stem = (area.name + (" " if self.lang == "en" else "") + word).casefold().rstrip("s")
        return any(e.name.casefold().rstrip("s") == stem for e in self.home.entities)

    def _m_area_domain(self, domains: tuple[str, ...], only_area: bool = False) -> str | None:
        options = [(d, a) for d in domains if d in DOMAIN_WORD[self.lang] for a in self._areas_with(d)]
        options = [(d, a) for d, a in options if not self._clash(a, DOMAIN_WORD[self.lang][d][0])]
        if not options:
            return None
        domain, a = self.rng.choice(options)
        spoken_area, area = self._say_area(a)
        word = DOMAIN_WORD[self.lang][domain][1]
        self.args["area"] = area
        if not only_area:
            self.args["domain"] = domain
        if self.lang == "zh":
            return self.rng.choice((f"{spoken_area}的{word}", f"{spoken_area}所有的{word}"))
        bare = spoken_area.removeprefix("the ").removeprefix("my ")
        return self.rng.choice((f"the {bare} {word}", f"the {word} in {spoken_area}",
                                f"all the {word} in {spoken_area}"))

    def _m_area_only(self, domains: tuple[str, ...]) -> str | None:
        if domains == ("cover",):
            return self._m_area_dc(domains, only_area=True)
        return self._m_area_domain(domains, only_area=True)

    def _m_room_domain(self, domains: tuple[str, ...], only_area: bool = False) -> str | None:
        if self.room is None:
            return None
        options = [d for d in domains if d in DOMAIN_WORD[self.lang] and self.room in self._areas_with(d)]
        if not options:
            return None
        domain = self.rng.choice(options)
        self.args["area"] = self.room.name
        if not only_area:
            self.args["domain"] = domain
        word = self.rng.choice(DOMAIN_WORD[self.lang][domain])
        return word if self.lang == "zh" else f"the {word}"

    def _m_room_only(self, domains: tuple[str, ...]) -> str | None:
        return self._m_room_domain(domains, only_area=True)

    def _m_area_dc(self, domains: tuple[str, ...], only_area: bool = False,
                   room_only: bool = False) -> str | None:
        options = [(dc, a) for dc in DC_WORD[self.lang] for a in self._areas_with("cover", dc)]
        if room_only:
            options = [(dc, a) for dc, a in options if a == self.room]
        if not options:
            return None
        dc, a = self.rng.choice(options)
        word = DC_WORD[self.lang][dc]
        if room_only:
            self.args.update(area=a.name, domain="cover", device_class=dc)
            return word if self.lang == "zh" else f"the {word}"
        spoken_area, area = self._say_area(a)
        self.args["area"] = area
        if not only_area:
            self.args.update(domain="cover", device_class=dc)
        return f"{spoken_area}的{word}" if self.lang == "zh" else f"the {word} in {spoken_area}"

    def _m_room_dc(self, domains: tuple[str, ...]) -> str | None:
        return self._m_area_dc(domains, room_only=True) if self.room else None

    def _m_floor_domain(self, domains: tuple[str, ...]) -> str | None:
        floors = sorted({a.floor for a in self._areas_with("light") if a.floor})
        if "light" not in domains or not floors:
            return None
        floor = self.rng.choice(floors)
        self.args.update(floor=floor, domain="light")
        if self.lang == "zh":
            return f"{floor}的灯"
        spoken = floor.lower()
        return self.rng.choice((f"all the lights on the {spoken}", f"the {spoken} lights"))

    def _m_domain_all(self, domains: tuple[str, ...]) -> str | None:
        if "light" not in domains or not self._entities(("light",)):
            return None
        self.args["domain"] = "light"
        return "所有的灯" if self.lang == "zh" else self.rng.choice(("all the lights", "every light"))

    def _m_area_all(self, domains: tuple[str, ...]) -> str | None:
        if not self.home.areas:
            return None
        spoken_area, area = self._say_area(self.rng.choice(self.home.areas))
        self.args["area"] = area
        return f"{spoken_area}所有的设备" if self.lang == "zh" else f"everything in {spoken_area}"

    def _p_a(self) -> str:
        areas = list(self.home.areas)
        if not areas:
            raise NoTarget
        if self.kind in ("clim_set", "clim_get"):
            areas = [a for a in areas if (self._areas_with("climate") and a in self._areas_with("climate"))
                     or a in self._areas_with("sensor")] or areas
        spoken, area = self._say_area(self.rng.choice(areas))
        self.args["area"] = area
        return spoken

    def number(self, kind: str) -> int | float:
        r = self.rng
        if kind == "clim_set":
            if self.lang == "en" and r.random() < 0.3:
                return r.randint(60, 80)
            return r.randint(16, 30) if r.random() < 0.85 else r.randint(32, 59) / 2
        if r.random() < 0.6:
            return r.choice(range(10, 101, 10 if r.random() < 0.5 else 5))
        return r.randint(1, 100)

    def _p_n(self) -> str:
        n = self.number(self.kind)
        key = {"brightness": "brightness", "position": "position", "volume": "volume_level"}.get(
            self.kind, "temperature")
        self.args[key] = n
        return str(n)

    def _p_k(self) -> str:
        k = self.rng.randrange(2200, 6600, 100)
        self.args["temperature"] = str(k)
        return str(k)

    def _p_c(self) -> str:
        c = self.rng.choice(pools.split(pools.COLORS[self.lang], self.part))
        self.args["color"] = c
        return c

    def _named(self, domain: str, key: str = "name") -> str:
        ents = self._entities((domain,))
        if not ents:
            raise NoTarget
        e = self.rng.choice(ents)
        self.args[key] = e.name
        return self._say(e.name, article=domain != "weather")

    def _p_w(self) -> str:
        return self._named("weather")

    def _p_list(self) -> str:
        return self._named("todo")

    def _p_item(self) -> str:
        item = self.rng.choice(pools.split(pools.ITEMS[self.lang], self.part))
        self.args["item"] = item
        self.verbatim.append(item)
        return item

    def _p_q(self) -> str:
        q = self.rng.choice(pools.split(pools.MEDIA[self.lang], self.part))
        self.args["search_query"] = q
        self.verbatim.append(q)
        return q

    def _p_msg(self) -> str:
        msg = self.rng.choice(pools.split(pools.MESSAGES[self.lang], self.part))
        self.args["message"] = msg
        self.verbatim.append(msg)
        return msg

    def _p_tn(self) -> str:
        name = self.rng.choice(pools.split(pools.TIMER_NAMES[self.lang], self.part))
        self.args["name"] = name
        self.verbatim.append(name)
        return name

    def _duration(self) -> dict[str, int]:
        r = self.rng
        form = r.choice(("m", "m", "m", "h", "s", "hm", "ms"))
        out: dict[str, int] = {}
        if "h" in form:
            out["hours"] = r.randint(1, 3)
        if "m" in form:
            out["minutes"] = r.randint(1, 59) if len(form) > 1 else r.choice((*range(1, 16), 20, 25, 30, 40, 45, 90))
        if "s" in form:
            out["seconds"] = r.choice((10, 15, 20, 30, 40, 45, 50, 90))
        return out

    def _p_dur(self, adjective: bool = False) -> str:
        d = self._duration()
        self.args.update(d)
        if self.lang == "zh":
            units = {"hours": "小时", "minutes": "分钟", "seconds": "秒"}
            if "minutes" in d and "seconds" in d and self.rng.random() < 0.5:
                return f"{d['minutes']}分{d['seconds']}秒"
            return "".join(f"{v}{units[k]}" for k, v in d.items())
        words = {"hours": "hour", "minutes": "minute", "seconds": "second"}
        parts = [f"{v} {words[k]}" + ("" if adjective or v == 1 else "s") for k, v in d.items()]
        return (" " if adjective else " and ").join(parts)

    def _p_durA(self) -> str:
        return self._p_dur(adjective=True)

    # -- follow-ups and ambiguity -------------------------------------------------------------
    def other_area(self, current: str, domain: Any) -> tuple[str, str]:
        areas = self._areas_with(domain) if isinstance(domain, str) else list(self.home.areas)
        areas = [a for a in areas if current not in (a.name, *a.aliases)]
        if not areas:
            raise NoTarget
        return self._say_area(self.rng.choice(areas))

    def other_name(self, current: str) -> tuple[str, str]:
        domain = next((e.domain for e in self.home.entities if current in (e.name, *e.aliases)), None)
        ents = [e for e in self.home.entities if e.domain == domain and current not in (e.name, *e.aliases)]
        if not ents:
            raise NoTarget
        e = self.rng.choice(ents)
        return self._say(e.name), e.name

    def ambiguous_generic(self) -> tuple[str, list[str]]:
        """A word that fits several devices, none of them in the speaker's room."""
        groups: dict[str, list[Entity]] = {}
        for e in self.home.entities:
            if e.domain in ("weather", "todo", "sensor", "binary_sensor"):
                continue
            if self.lang == "zh":
                word = next((g for g in ZH_GENERIC if e.name.endswith(g)), None)
            else:
                word = e.name.split()[-1].lower().rstrip("s")
            if word:
                groups.setdefault(word, []).append(e)
        ok = [(w, es) for w, es in groups.items() if len(es) >= 2 and not any(
            self.room and e.area == self.room.id for e in es) and len({e.domain for e in es}) == 1]
        if not ok:
            raise NoTarget
        word, ents = self.rng.choice(sorted(ok, key=lambda x: x[0]))
        return word, [e.name for e in ents]
