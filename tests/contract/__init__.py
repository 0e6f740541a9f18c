"""Contract suites: one per port, run against the fake and every real adapter."""
