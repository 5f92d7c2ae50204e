"""``hearth service install|status|uninstall``: ``hearth run`` as a systemd service."""

from __future__ import annotations

import argparse
import sys

from assistant import service
from assistant.config import Config, default_config_path


def run(args: argparse.Namespace, cfg: Config) -> int:
    if args.action == "install":
        return _install(args, cfg)
    if args.action == "uninstall":
        return _uninstall(args)
    installed, what = service.state(args.user, args.unit_dir)
    print(f"hearth service ({'user' if args.user else 'system'}): {what}")
    return 0 if installed else 3


def _install(args: argparse.Namespace, cfg: Config) -> int:
    config_path = args.config or (str(default_config_path()) if default_config_path().exists() else None)
    spec = service.spec_for(cfg, user=args.user, config_path=config_path)
    text = service.render_unit(spec)
    if args.print:
        sys.stdout.write(text)
        return 0
    cfg.data_dir.mkdir(parents=True, exist_ok=True)  # ReadWritePaths must exist when the unit starts
    path = service.unit_path(args.user, args.unit_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except PermissionError:
        print(f"hearth: cannot write {path}: a system service needs root (sudo hearth service install), "
              "or install it for your user: hearth service install --user", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    flag = "--user " if args.user else ""
    if args.no_start or args.unit_dir or not service.systemd_running():
        print(f"start it with: systemctl {flag}daemon-reload && systemctl {flag}enable --now {service.UNIT_NAME}")
        return 0
    for step in (("daemon-reload",), ("enable", "--now", service.UNIT_NAME)):
        r = service.systemctl(args.user, *step)
        if r.returncode != 0:
            print(f"hearth: systemctl {flag}{' '.join(step)} failed: {r.stderr.strip()}", file=sys.stderr)
            return 1
    print(f"started; logs: journalctl {flag}-u {service.UNIT_NAME} -f")
    return 0


def _uninstall(args: argparse.Namespace) -> int:
    path = service.unit_path(args.user, args.unit_dir)
    if not path.exists():
        print(f"not installed ({path})")
        return 0
    if not args.unit_dir and service.systemd_running():
        service.systemctl(args.user, "disable", "--now", service.UNIT_NAME)
    path.unlink()
    if not args.unit_dir and service.systemd_running():
        service.systemctl(args.user, "daemon-reload")
    print(f"removed {path}; the data dir (outbox, timers, models) is kept")
    return 0
