"""Shipcrowd's WooCommerce integration: order import, inventory push and webhook intake."""
