"""The HTTP service: management API, webhook intake and operations endpoints."""
