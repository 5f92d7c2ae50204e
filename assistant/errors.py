"""Coded errors: one base class and one subclass per stage, so failures cross stage boundaries as data."""

from __future__ import annotations


class HearthError(Exception):
    """An error with a stable machine-readable ``code`` and a message meant for a person."""

    code = "hearth_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class ConfigError(HearthError):
    code = "config_error"


class AudioError(HearthError):
    code = "audio_error"


class ModelError(HearthError):
    """A model is missing, corrupt, or failed to load; the message names the fix."""

    code = "model_error"


class WakeError(HearthError):
    code = "wake_error"


class SttError(HearthError):
    code = "stt_error"


class TtsError(HearthError):
    code = "tts_error"


class BrainError(HearthError):
    code = "brain_error"


class SkillError(HearthError):
    """A skill refused its arguments or failed; the text is safe to speak."""

    code = "skill_error"


class InventoryError(HearthError):
    code = "inventory_error"


class MqttError(HearthError):
    code = "mqtt_error"
