"""``hearth skills``: every enabled skill with its JSON schema."""

from __future__ import annotations

import argparse
import json

from assistant.config import Config
from assistant.skillkit.registry import SkillRegistry


def run(args: argparse.Namespace, cfg: Config) -> int:
    registry = SkillRegistry.discover(cfg.brain.skills, cfg.brain.disabled_skills)
    specs = registry.specs()
    if args.json:
        print(json.dumps([s.as_dict() for s in specs], ensure_ascii=False, indent=2))
        return 0
    for s in specs:
        props = s.parameters.get("properties", {})
        required = set(s.parameters.get("required", []))
        print(f"{s.name}: {s.description}")
        for name, p in props.items():
            kind = p.get("type", "")
            if "enum" in p:
                kind += " " + "|".join(map(str, p["enum"]))
            mark = " (required)" if name in required else ""
            desc = f" - {p['description']}" if p.get("description") else ""
            print(f"    {name}: {kind}{mark}{desc}")
    return 0
