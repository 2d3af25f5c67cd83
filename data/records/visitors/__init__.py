"""The machine-room access log: visitors and staff in and out, door-controller imports,
retention."""
