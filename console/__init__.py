"""dutydesk: console layer."""
