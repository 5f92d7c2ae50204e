"""Wake-word detection."""
