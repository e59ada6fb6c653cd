"""The library's version, in a module of its own so every room can record it (look
metadata, training summaries, exports) without importing the package root."""

__version__ = "0.1.0.dev0"
