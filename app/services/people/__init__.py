"""Users and partners' students: accounts, imports, set-password tokens."""
