"""The home: entities and areas Hearth may act on, and resolving spoken names to them."""
