"""The screens of service reports (7)."""
