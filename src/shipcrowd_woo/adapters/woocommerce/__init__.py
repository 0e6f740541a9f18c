"""The WooCommerce REST API v3 client: httpx, WooCommerce's own authentication, retries,
pagination, batches, and a guard against calling hosts we must not call."""
