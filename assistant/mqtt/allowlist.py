"""The Home Assistant allow-list, generated from the skills' ``@skill(services=..., sensitive=...)``.

Home Assistant's ``hearth`` integration executes only the services in
``homeassistant/custom_components/hearth/allowlist.json``; this module writes that file from the
one declaration in the skills (``hearth mqtt --allowlist``), and a test fails when they differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from assistant.skillkit.registry import SkillRegistry

PATH = Path(__file__).resolve().parents[2] / "homeassistant" / "custom_components" / "hearth" / "allowlist.json"


def build(registry: SkillRegistry | None = None) -> dict[str, Any]:
    """The allow-list of the given skills (default: every installed first-party skill)."""
    reg = registry if registry is not None else SkillRegistry.discover()
    return {
        "generated": "by `hearth mqtt --allowlist` from the skills' @skill(services=...); do not edit",
        "services": sorted(reg.services()),
        "sensitive": sorted(reg.sensitive()),
        "intents": {s.name: sorted(s.services) for s in reg if s.services},
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def write(path: str | Path = PATH, registry: SkillRegistry | None = None) -> bool:
    """Write the allow-list; False when the file already says exactly that."""
    p = Path(path)
    text = render(build(registry))
    if p.exists() and p.read_text(encoding="utf-8") == text:
        return False
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":  # python -m assistant.mqtt.allowlist [PATH]
    target = sys.argv[1] if len(sys.argv) > 1 else PATH
    print(f"{target}: {'written' if write(target) else 'unchanged'}")
