"""Home Assistant over MQTT: topics, discovery, the durable intent outbox and the bridge."""

from assistant.mqtt.bridge import MqttBridge
from assistant.mqtt.client import probe

__all__ = ["MqttBridge", "probe"]
