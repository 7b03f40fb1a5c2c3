"""The four roles, ordered: viewer < coder < reviewer < admin. Handlers ask a role what it
may do (``role.can_review()``) rather than comparing names."""

from __future__ import annotations

from enum import StrEnum

from defectio.errors import InputError


class Role(StrEnum):
    VIEWER = "viewer"
    CODER = "coder"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank

    # Reading: the dashboard, cases, passages, codebook, stats, counter search, the brief.
    def can_view(self) -> bool:
        return True

    # Coding: code a text, add a code to a passage, accept or reject a suggestion, write a memo.
    def can_code(self) -> bool:
        return self.at_least(Role.CODER)

    # Reviewing: agreement figures and settling disagreements between coders.
    def can_review(self) -> bool:
        return self.at_least(Role.REVIEWER)

    # Retraining the store's coder from its reviewed passages, and making the new one the default.
    def can_retrain(self) -> bool:
        return self.at_least(Role.REVIEWER)

    # Administering: users, the audit log, the codebook in use.
    def can_admin(self) -> bool:
        return self is Role.ADMIN

    # Identity fields of private persons: admin only, and every reveal is logged.
    def can_reveal_identity(self) -> bool:
        return self is Role.ADMIN

    def can_read_audit_log(self) -> bool:
        return self is Role.ADMIN

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise InputError(f"unknown role {value!r}: expected one of {names}") from None
