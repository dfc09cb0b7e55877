"""The notifications service: every channel in and out, templates, reminders, mailings."""
