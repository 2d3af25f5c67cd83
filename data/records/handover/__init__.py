"""Shift handover (交接班): the watches, their summary, pending items, the dual sign-off."""
