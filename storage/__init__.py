"""Persistence: SQLAlchemy models, one unit of work per update, and queries per aggregate."""
