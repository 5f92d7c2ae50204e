"""Finding Wyoming satellites on the local network (zeroconf ``_wyoming._tcp``).

Discovery never decides whom Hearth serves: a found service is connected only when a ``[[satellites]]``
entry names it; any other is logged so the user can add it (Wyoming has no authentication).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SERVICE_TYPE = "_wyoming._tcp.local."


class Discovery:
    """Browses for Wyoming services; ``on_found(name, host, port)`` runs on zeroconf's thread."""

    def __init__(self, on_found: Callable[[str, str, int], None]) -> None:
        self.on_found = on_found
        self._zc: Any = None
        self._browser: Any = None

    def start(self) -> None:
        from zeroconf import ServiceBrowser, Zeroconf

        self._zc = Zeroconf()
        self._browser = ServiceBrowser(self._zc, SERVICE_TYPE, handlers=[self._changed])

    def _changed(self, zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        from zeroconf import ServiceStateChange

        if state_change not in (ServiceStateChange.Added, ServiceStateChange.Updated):
            return
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info is None or not info.port:
            return
        addresses = info.parsed_addresses()
        if not addresses:
            return
        short = name[: -len(service_type) - 1] if name.endswith("." + service_type) else name
        try:
            self.on_found(short, addresses[0], int(info.port))
        except Exception:
            log.exception("handling the discovered Wyoming service %s failed", short)

    def close(self) -> None:
        if self._zc is not None:
            self._zc.close()
            self._zc = None
