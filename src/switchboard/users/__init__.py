"""Dashboard users: accounts with hashed passwords, and their login sessions."""
