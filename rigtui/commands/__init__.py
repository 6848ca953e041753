"""CLI subcommands, one module each (see rigtui/cli.py for the contract)."""
