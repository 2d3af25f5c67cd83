"""The screens of the shift handover (3)."""
