"""Adapters: the ports implemented with real technology (SQLAlchemy, httpx, Dramatiq…)."""
