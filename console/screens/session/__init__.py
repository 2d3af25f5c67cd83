"""The screens of login, the lock screen, password change and quit."""
