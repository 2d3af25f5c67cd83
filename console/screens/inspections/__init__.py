"""The screens of inspections (5)."""
