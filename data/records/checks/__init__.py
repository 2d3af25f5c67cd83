"""Live check records: the latest result per check, state transitions, hourly rollups,
availability."""
