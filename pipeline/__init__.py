"""Project 8 reporting pipeline: plan, templates, ingest, rules, ledger, consolidation, reports."""

__version__ = "0.1.0"
