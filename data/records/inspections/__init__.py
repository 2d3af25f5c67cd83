"""Inspections (巡检记录): checklist-driven records and the periods they are due in."""
