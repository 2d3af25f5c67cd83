"""Remote action runs: who may run them, and their record."""
