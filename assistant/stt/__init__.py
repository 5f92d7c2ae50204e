"""Speech-to-text."""
