"""Model store: every default model is installed and verified; missing or corrupt ones name their fix."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from assistant import modelstore


def test_every_default_model_is_present_and_verified() -> None:
    rows = modelstore.statuses(verify=True)
    bad = [(r.entry.id, r.status, r.detail) for r in rows if r.status != "ok"]
    assert not bad, bad
    stages = {r.entry.stage for r in rows}
    assert {"stt", "vad", "wake", "tts", "llm"} <= stages


def _manifest(tmp_path: Path, target: Path, sha: str, size: int) -> Path:
    m = tmp_path / "manifest.toml"
    m.write_text(
        f'[mine]\nstage = "tts"\npackage = "x==1"\nlicence = "MIT"\nsource = "repo"\n'
        f'path = "{target}"\nfile = "{target.name}"\nsize = {size}\nsha256 = "{sha}"\n'
    )
    return m


def test_corrupt_and_missing_models_name_the_fix(tmp_path: Path) -> None:
    f = tmp_path / "voice.onnx"
    f.write_bytes(b"0123456789")
    good = hashlib.sha256(b"0123456789").hexdigest()
    e = modelstore.entries(_manifest(tmp_path, f, good, 10))["mine"]
    assert modelstore.check(e).status == "ok"
    f.write_bytes(b"0123456780")  # same size, flipped byte
    (tmp_path / "voice.onnx.sha256ok").unlink()
    s = modelstore.check(e)
    assert s.status == "corrupt" and "sha256" in s.detail and "hearth train" in s.detail
    f.unlink()
    s = modelstore.check(e)
    assert s.status == "missing" and "make setup" in s.detail


def test_hearth_models_lists_every_entry() -> None:
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "models"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for model_id in modelstore.entries():
        assert model_id in r.stdout
