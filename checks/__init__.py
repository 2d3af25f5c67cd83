"""dutydesk: checks layer."""
