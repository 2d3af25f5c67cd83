"""The screens of the status wall (1)."""
