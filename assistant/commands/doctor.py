"""``hearth doctor``: checks config, audio devices, models, the LLM runtime, inventory and broker; each with a fix."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from assistant import modelstore
from assistant.config import Config, default_config_path
from assistant.errors import ConfigError

Check = tuple[str, bool, str, str]
"""(what, ok, verdict, fix)."""


def _config(cfg: Config, path: str | None) -> Check:
    where = path or str(default_config_path())
    exists = os.path.exists(where)
    return ("config", True, f"{where} loaded" if exists else "built-in defaults (no config file)",
            "" if exists else "hearth config --print-default > " + str(default_config_path()))


def _audio(cfg: Config) -> list[Check]:
    try:
        import sounddevice as sd

        devices = sd.query_devices()
    except (OSError, ImportError) as e:
        return [("audio", False, f"PortAudio unavailable: {e}", "sudo apt-get install libportaudio2")]
    ins = [d for d in devices if d["max_input_channels"] > 0]
    outs = [d for d in devices if d["max_output_channels"] > 0]
    return [
        ("microphone", bool(ins), f"{len(ins)} input device(s)" if ins else "no input device",
         "" if ins else "connect a microphone, or run: hearth run --input FILE.wav (or - for raw PCM on stdin)"),
        ("speaker", bool(outs), f"{len(outs)} output device(s)" if outs else "no output device",
         "" if outs else "connect a speaker, or run with --output FILE.wav or --output none"),
    ]


def _models(cfg: Config) -> list[Check]:
    out: list[Check] = []
    for s in modelstore.statuses():
        out.append((f"model {s.entry.id}", s.status == "ok", s.status, s.detail if s.status != "ok" else ""))
    return out


def _llm_runtime(cfg: Config) -> Check:
    try:
        import llama_cpp

        return ("llama.cpp", True, f"llama-cpp-python {llama_cpp.__version__}", "")
    except Exception as e:  # a bad native build fails here with OSError/ImportError
        return ("llama.cpp", False, f"cannot load: {e}", "make setup  (rebuilds llama-cpp-python for this CPU)")


def _inventory(cfg: Config) -> Check:
    from assistant.errors import HearthError
    from assistant.home import inventory

    path = cfg.brain.inventory or str(inventory.bundled_path())
    try:
        inv = inventory.load(path)
    except HearthError as e:
        return ("inventory", False, e.message, "fix the JSON (format: homeassistant/README.md)")
    return ("inventory", True, f"{path}: {len(inv.entities)} entities in {len(inv.areas)} areas", "")


def _broker(cfg: Config) -> Check:
    if not cfg.mqtt.enabled:
        return ("mqtt broker", True, "disabled", "set [mqtt] enabled = true and host/port to talk to Home Assistant")
    from assistant.mqtt.client import probe

    ok, message = probe(cfg.mqtt)
    fix = f"check [mqtt] host/port/credentials ({cfg.mqtt.host}:{cfg.mqtt.port})"
    return ("mqtt broker", ok, message, "" if ok else fix)


def _ha_secret(cfg: Config) -> Check:
    """Without the secret shared with Home Assistant's hearth integration, HA refuses every intent."""
    if not cfg.mqtt.enabled:
        return ("home assistant secret", True, "not needed ([mqtt] disabled)", "")
    from assistant.mqtt.signing import load_secret

    fix = (f"put the secret from Home Assistant's secrets.yaml (hearth_secret) in ${cfg.mqtt.secret_env} "
           "or in a file named by [mqtt] secret_file; see homeassistant/README.md")
    try:
        secret = load_secret(cfg.mqtt)
    except ConfigError as e:
        return ("home assistant secret", False, e.message, fix)
    if secret is None:
        return ("home assistant secret", False, "not set: Home Assistant will refuse every intent", fix)
    return ("home assistant secret", True, f"set ({len(secret)} characters)", "")


def _data_dir(cfg: Config) -> Check:
    d = cfg.data_dir
    try:
        d.mkdir(parents=True, exist_ok=True)
        probe = d / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as e:
        return ("data dir", False, f"{d}: {e}", "set [general] data_dir to a writable folder")
    return ("data dir", True, str(d), "")


def _service(cfg: Config) -> Check:
    from assistant import service

    for user in (True, False):
        installed, what = service.state(user)
        if installed:
            kind = "user" if user else "system"
            ok = "failed" not in what and "inactive" not in what
            flag = "--user " if user else ""
            return ("service", ok, f"{kind}: {what}", f"journalctl {flag}-u hearth -e; systemctl {flag}restart hearth")
    return ("service", True, "not installed (hearth run starts by hand)",
            "hearth service install --user")


def run(args: argparse.Namespace, cfg: Config) -> int:
    checks: list[Check] = [_config(cfg, args.config)]
    steps: list[Callable[[Config], Check | list[Check]]] = [
        _data_dir, _audio, _models, _llm_runtime, _inventory, _broker, _ha_secret, _service,
    ]
    for step in steps:
        try:
            result = step(cfg)
        except Exception as e:
            result = (step.__name__.strip("_"), False, f"check failed: {e}", "")
        checks.extend(result if isinstance(result, list) else [result])
    for what, ok, verdict, fix in checks:
        mark = "ok  " if ok else "FAIL"
        print(f"[{mark}] {what:<24} {verdict}" + (f"\n       fix: {fix}" if fix and not ok else ""))
    return 0 if all(c[1] for c in checks if c[0] not in ("microphone", "speaker")) else 1
