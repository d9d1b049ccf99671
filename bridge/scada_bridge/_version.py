"""The package version, in one place (the CLI and the package both print it)."""

__version__ = "0.1.0"
