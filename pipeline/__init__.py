"""Project 8 reporting pipeline: one package per stage of the data flow (docs/architecture.md)."""

__version__ = "0.1.0"
