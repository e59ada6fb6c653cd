"""Console scripts: ``vfx-style`` and its subcommands (one module per subcommand)."""
