"""Chinese with English words in it, as bilingual households speak: "把客厅的light关掉", "打开TV".

Chinese templates know Chinese device words; an English kind of device inside a Chinese sentence
is put into Chinese ("light" → "灯") so the sentence matches, while names the home itself spells in
English are left alone (they are matched as they are first).
"""

from __future__ import annotations

import re

from assistant.home import words

EN_TO_ZH = {
    "lights": "灯", "light": "灯", "lamps": "灯", "lamp": "灯", "tv": "电视", "television": "电视",
    "fans": "风扇", "fan": "风扇", "curtains": "窗帘", "curtain": "窗帘", "blinds": "百叶窗", "blind": "百叶窗",
    "speaker": "音箱", "speakers": "音箱", "ac": "空调", "aircon": "空调", "air con": "空调",
    "air conditioner": "空调", "heater": "取暖器", "heating": "暖气", "switch": "开关", "plug": "插座",
    "socket": "插座", "lock": "锁", "door": "门", "vacuum": "扫地机器人", "robot": "扫地机器人",
    "music": "音乐", "volume": "音量", "timer": "计时器", "thermostat": "恒温器", "coffee machine": "咖啡机",
    "on": "开", "off": "关",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z ]*[A-Za-z]|[A-Za-z]")


def is_mixed(text: str) -> bool:
    return words.is_chinese(text) and bool(_WORD.search(text))


def to_chinese(text: str) -> str:
    """``text`` with known English device words in Chinese; unknown English words stay."""
    if not is_mixed(text):
        return text

    def swap(m: re.Match[str]) -> str:
        phrase = m.group(0).strip()
        key = phrase.casefold()
        if key in EN_TO_ZH:
            return EN_TO_ZH[key]
        return " ".join(EN_TO_ZH.get(w.casefold(), w) for w in phrase.split())

    out = _WORD.sub(swap, text)
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", out)
