"""The screens of device detail and quick restart."""
