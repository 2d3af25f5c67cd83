"""The screens of access and visitor records (4)."""
