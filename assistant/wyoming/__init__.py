"""The Wyoming protocol: Hearth as a hub for room satellites, and as a Wyoming service for Home Assistant.

Kept apart from the pipeline: a satellite is only another audio source and sink to it.
"""
