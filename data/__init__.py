"""dutydesk: data layer."""
