"""Session fixtures shared by test modules."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ha_support import HaStack, start_home_assistant
from tests.mqtt_support import Broker

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A mosquitto of the module's own on 127.0.0.1, for tests that need no Home Assistant."""
    b = Broker(tmp_path_factory.mktemp("mosquitto"))
    b.start()
    yield b
    b.stop()


@pytest.fixture(scope="session")
def ha_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HaStack]:
    """One mosquitto and one Home Assistant (with homeassistant/packages/hearth.yaml) per session:
    starting HA costs seconds, so every module that needs it shares this one."""
    root = tmp_path_factory.mktemp("ha")
    broker = Broker(root / "broker")
    broker.start()
    t0 = time.monotonic()
    try:
        ha = start_home_assistant(root / "config", broker.port, {"hearth": REPO / "homeassistant/packages/hearth.yaml"})
    except BaseException:
        broker.stop()
        raise
    try:
        yield HaStack(broker, ha, time.monotonic() - t0)
    finally:
        ha.stop()
        broker.stop()
