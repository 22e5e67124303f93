"""The version, read by the build backend (importlib.metadata gives it at run time)."""

__version__ = "0.1.0"
