"""The screens of alarms and acknowledgement (2)."""
