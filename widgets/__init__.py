"""dutydesk: widgets layer."""
