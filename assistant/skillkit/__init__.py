"""Skills as plugins: typed functions become tools with JSON schemas, found through entry points."""
