"""Hearth: an offline voice assistant for the home."""
