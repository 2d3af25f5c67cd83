"""The asset register (设备资产) and maintenance contracts."""
