"""Voice activity: a speech-probability model and a pure-timing end-of-speech segmenter."""
