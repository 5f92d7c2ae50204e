"""Runs inside the network namespace of :mod:`tests.offline`: starts a broker on loopback, runs
``hearth`` commands against it and reports, as one JSON line, what each printed and what the
broker saw. Usage: ``python -m tests.offline_driver WORKDIR COMMANDS_JSON``, where each command
is a list of ``hearth`` arguments in which ``{config}`` stands for the config file written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from assistant.home import inventory
from tests.mqtt_support import Broker, Confirmer, Recorder


def main(workdir: str, commands_json: str) -> int:
    root = Path(workdir)
    broker = Broker(root / "broker")
    broker.start()
    rec = Recorder(broker.port, ["hearth/#"])
    ha = Confirmer(broker.port)  # Home Assistant's results: the outbox hands over the next intent
    cfg = root / "config.toml"
    cfg.write_text(
        f'[general]\nnode_id = "kitchen"\narea = "kitchen"\ndata_dir = "{root / "data"}"\n'
        f'[brain]\ninventory = "{inventory.bundled_path()}"\n'
        f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {broker.port}\n',
        encoding="utf-8",
    )
    results = []
    try:
        for argv in json.loads(commands_json):
            args = [a.replace("{config}", str(cfg)) for a in argv]
            r = subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, timeout=900)
            results.append({"argv": argv, "rc": r.returncode, "stdout": r.stdout.decode(errors="replace")[-20000:],
                            "stderr": r.stderr.decode(errors="replace")[-4000:]})
        intents = [m.json() for m in rec.on("hearth/+/intent")]
    finally:
        ha.close()
        rec.close()
        broker.stop()
    print(json.dumps({"results": results, "intents": intents}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
