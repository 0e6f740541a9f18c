"""A WooCommerce-compatible store we ship: the subset of REST API v3 that shipcrowd-woo uses,
with WooCommerce's own behaviour (authentication, paging, batches, errors, webhooks), a seeded
data generator and fault injection. For the demo, the contract tests and anyone who wants to
try the product without a store. It shares no code with the client it tests."""
