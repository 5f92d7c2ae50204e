"""Config: defaults round-trip, and every mistake names the key and what is allowed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from assistant import config
from assistant.errors import ConfigError


def test_default_toml_parses_back_to_defaults() -> None:
    text = config.default_toml()
    assert config.from_dict(tomllib.loads(text)) == config.Config()
    assert "[mqtt]" in text and "trailing_silence_s" in text


def test_unknown_key_is_named_with_suggestion(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("[vad]\ntrailing_silense_s = 0.3\n")
    with pytest.raises(ConfigError) as e:
        config.load(p)
    assert "[vad] trailing_silense_s" in e.value.message
    assert "trailing_silence_s" in e.value.message  # the suggestion


def test_unknown_section(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("[wakeword]\nthreshold = 0.4\n")
    with pytest.raises(ConfigError, match=r"unknown section \[wakeword\].*\[wake\]"):
        config.load(p)


def test_bad_literal_lists_allowed_values() -> None:
    with pytest.raises(ConfigError) as e:
        config.from_dict({"general": {"language": "fr"}})
    assert "[general] language" in e.value.message and "'zh'" in e.value.message


@pytest.mark.parametrize(
    ("section", "key", "value", "needle"),
    [
        ("wake", "threshold", 1.5, "between 0 and 1"),
        ("vad", "max_command_s", -1, "greater than 0"),
        ("mqtt", "port", "1883", "must be an integer"),
        ("brain", "fast_path", "yes", "true or false"),
        ("wake", "words", 3, "must be a list"),
    ],
)
def test_bad_values_name_the_key(section: str, key: str, value: object, needle: str) -> None:
    with pytest.raises(ConfigError) as e:
        config.from_dict({section: {key: value}})
    assert f"[{section}] {key}" in e.value.message and needle in e.value.message


def test_valid_file_and_replace(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[general]\nlanguage = "zh"\narea = "kitchen"\n[wake]\nwords = ["alexa", "hey_jarvis"]\n')
    cfg = config.load(p)
    assert cfg.general.language == "zh" and cfg.wake.words == ("alexa", "hey_jarvis")
    assert cfg.replace("mqtt", enabled=True).mqtt.enabled
    with pytest.raises(ConfigError):
        cfg.replace("mqtt", prot=1)


def test_missing_explicit_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml")
    p = tmp_path / "bad.toml"
    p.write_text("[general\nlanguage = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(p)


def test_cli_reports_config_typo(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text("[mqtt]\nhots = 'x'\n")
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "--config", str(p), "config", "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "[mqtt] hots" in r.stderr and "'host'" in r.stderr
