"""The core: plain-Python data model and logic. Imports neither Qt nor SQLite."""
