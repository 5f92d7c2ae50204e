"""Running commands where nothing but loopback exists, with a guard that records (and refuses)
every attempt a Python process makes to reach any other address.

Two layers: a network namespace of its own (``unshare -n``, loopback up, no other interface, no
route), so the command can only work if it needs nothing outside the box; and a ``sitecustomize``
put first on ``PYTHONPATH`` that installs an audit hook on ``socket.connect``/``sendto``/``sendmsg``
and name lookups, so even an attempt that would merely fail is written down and fails the test.
Child Python processes inherit the guard through the environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GUARD = r'''
import ipaddress, json, os, socket, sys

_LOG = os.environ.get("HEARTH_EGRESS_LOG", "")
_LOADED = os.environ.get("HEARTH_GUARD_LOADED", "")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _local(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%")[0]
    if host == "" or host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(event, target):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"event": event, "target": repr(target), "pid": os.getpid(),
                                "argv": sys.argv[:3]}) + "\n")
    raise PermissionError(f"egress refused by the test guard: {event} {target!r}")


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, addr = args[0], args[1]
        if addr is not None and getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6) \
                and not _local(addr[0]):
            _refuse(event, addr)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                   "socket.gethostbyaddr"):
        if not _local(args[0]):
            _refuse(event, args[0])


sys.addaudithook(_hook)
if _LOADED:
    with open("/proc/self/cmdline", "rb") as f:
        _cmd = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    with open(_LOADED, "a", encoding="utf-8") as f:
        f.write(json.dumps({"pid": os.getpid(), "argv": _cmd[:4]}) + "\n")
'''


def unshare_exe() -> str:
    for exe in ("unshare", "ip"):
        if shutil.which(exe) is None:
            raise RuntimeError(f"{exe} is not installed (apt-get install -y util-linux iproute2; make setup does)")
    return str(shutil.which("unshare"))


class Offline:
    """A guard folder and its logs; :meth:`cmd` wraps a command to run with no way out."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
        self.egress_log = self.dir / "egress.jsonl"
        self.loaded_log = self.dir / "loaded.jsonl"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(self.dir), str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        env["HEARTH_EGRESS_LOG"] = str(self.egress_log)
        env["HEARTH_GUARD_LOADED"] = str(self.loaded_log)
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(proxy, None)
        env.update(extra or {})
        return env

    def cmd(self, argv: Sequence[str]) -> list[str]:
        """``argv`` inside a new network namespace with only loopback up."""
        # As root (CI) a plain network namespace; otherwise inside a user namespace of one's own.
        flags = "-n" if os.geteuid() == 0 else "-rn"
        return [unshare_exe(), flags, "--", "sh", "-c", 'ip link set lo up && exec "$@"', "offline", *argv]

    def run(self, argv: Sequence[str], *, timeout: float, extra_env: dict[str, str] | None = None,
            stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(self.cmd(argv), env=self.env(extra_env), capture_output=True, timeout=timeout,
                              input=stdin, cwd=ROOT)

    def attempts(self) -> list[dict]:
        if not self.egress_log.exists():
            return []
        return [json.loads(x) for x in self.egress_log.read_text(encoding="utf-8").splitlines() if x]

    def guarded(self) -> list[dict]:
        """The Python processes that ran with the guard installed."""
        if not self.loaded_log.exists():
            return []
        return [json.loads(x) for x in self.loaded_log.read_text(encoding="utf-8").splitlines() if x]
