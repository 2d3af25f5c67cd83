"""The duty roster section (值班排班, key 8)."""
