"""Incidents (故障处置): fault records from an alarm or a call to their closing, and their
search."""
