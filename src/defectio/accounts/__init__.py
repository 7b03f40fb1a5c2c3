"""Who may do what: roles, password and token hashing, and the account operations that the
web app and the command line share."""

from defectio.accounts.roles import Role

__all__ = ["Role"]
