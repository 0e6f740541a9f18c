"""Command groups of the `shipcrowd-woo` CLI that act for a company: stores, sync, mappings,
sync logs; and the demo."""
