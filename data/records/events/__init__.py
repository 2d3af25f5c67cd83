"""The event log: traps and system events (what happened that is not a check result)."""
