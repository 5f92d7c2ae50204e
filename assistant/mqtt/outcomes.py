"""What the household is told about an intent that did not happen as asked."""

from __future__ import annotations

import time
from typing import Any

from assistant.mqtt.delivery import Outcome


def spoken(outcome: Outcome) -> str | None:
    """The sentence to speak (in the intent's language), or None when it was executed."""
    text = str(outcome.doc.get("text", ""))
    zh = str(outcome.doc.get("language", "")).startswith("zh")
    if outcome.status == "executed":
        return None
    if outcome.status == "expired":
        return (f"没有执行“{text}”：Home Assistant 没有及时确认。" if zh else
                f'I did not do "{text}": Home Assistant did not confirm it in time.')
    if outcome.status == "refused":
        return f"Home Assistant 不允许“{text}”。" if zh else f'Home Assistant didn\'t allow "{text}".'
    return f"Home Assistant 没能执行“{text}”。" if zh else f'Home Assistant could not do "{text}".'


def notice(outcome: Outcome) -> dict[str, Any]:
    """The (unsigned) notice for Home Assistant about an intent Hearth dropped."""
    return {"id": outcome.id, "status": outcome.status, "reason": outcome.reason,
            "intent": outcome.doc.get("intent", ""), "text": str(outcome.doc.get("text", "")),
            "ts": round(time.time(), 3)}
