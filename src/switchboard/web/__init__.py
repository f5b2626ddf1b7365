"""What the admin API and the dashboard share: request dependencies and the login session.

Both sit on this package; neither imports the other.
"""
