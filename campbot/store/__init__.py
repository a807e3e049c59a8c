"""Storage: tables (tables.py), engine and sessions (db.py), migrations (migrate.py)."""
