"""Entrypoints: the CLI, the Flask app and the worker; thin, and wired by one bootstrap."""
