"""The asset register section (设备资产) and its dialogs."""
