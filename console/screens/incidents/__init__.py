"""The screens of incidents (6)."""
