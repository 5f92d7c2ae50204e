"""One module per ``hearth`` subcommand; each has ``run(args, cfg) -> int``."""
