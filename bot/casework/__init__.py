"""Casework: the unified application, its department tasks, staff actions and notices."""
