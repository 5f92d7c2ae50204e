"""Hearth's own LoRA adapter for the bundled LLM: data generator, training recipe and evaluation."""
