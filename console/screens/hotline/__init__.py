"""The service hotline section (key 9): calls, follow-ups due, their dialogs."""
