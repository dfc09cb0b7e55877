"""Ending a member of staff's access at once, in every service.

A Cognito ID token stays valid until it expires (an hour), and disabling the user or signing
them out does not recall it. So when someone leaves, every service records the fact in its
own table (from `StaffDeactivated`; the clients service, which does the deactivation, in
the same transaction) and refuses that user's requests from then on: one GetItem per staff
request, on the caller's own key.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from lanka_platform.auth import Principal
from lanka_platform.clock import to_iso
from lanka_platform.problems import Problem
from lanka_platform.storage import StaffAccess, Store, UnitOfWork


def _key(user_id: str) -> tuple[str, str]:
    return f"STAFF#{user_id}", "ACCESS"


def revoke(store: Store, unit: UnitOfWork, user_id: str, at: datetime, hand_over_to: str | None) -> None:
    """Queue the record that ends `user_id`'s access (writing it twice is harmless)."""
    pk, sk = _key(user_id)
    unit.put(store.model(StaffAccess)(pk=pk, sk=sk, revoked_at=to_iso(at), hand_over_to=hand_over_to))


def is_revoked(store: Store, user_id: str) -> bool:
    try:
        store.model(StaffAccess).get(*_key(user_id))
    except DoesNotExist:
        return False
    return True


def refuse_revoked(store: Store, principal: Principal) -> None:
    """401 for a member of staff who has been deactivated, whatever their token says."""
    if is_revoked(store, principal.user_id):
        raise Problem.unauthorized("Your access to Lanka has ended.")
