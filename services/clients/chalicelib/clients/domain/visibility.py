"""Who may see which client.

Managers see and edit their own clients and the unassigned ones; the head and admins see
all. Field workers (measurer, designer, production, installer) see only the clients of the
jobs they are assigned, and of those only the visit card (name, phones, addresses).
"""

from __future__ import annotations

from lanka_platform.auth import FIELD_ROLES, MANAGER, OFFICE, SUPERVISORS, Principal

OFFICE_ROLES = OFFICE
SUPERVISOR_ROLES = SUPERVISORS
__all__ = ["FIELD_ROLES", "OFFICE_ROLES", "SUPERVISOR_ROLES", "can_see_owner"]


def can_see_owner(by: Principal, owner_id: str | None) -> bool:
    """Whether `by` sees (and edits) a client owned by `owner_id` on the office side."""
    if by.is_supervisor:
        return True
    if MANAGER in by.roles:
        return owner_id in (None, by.user_id)
    return False
