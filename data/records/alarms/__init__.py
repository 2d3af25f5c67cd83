"""Alarms: raising and clearing them as the checks say, acknowledging them, muting the bell."""
