"""SQLAlchemy 2 persistence: tables, repositories, the unit of work, engines and migrations."""
