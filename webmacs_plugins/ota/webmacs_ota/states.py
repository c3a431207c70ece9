"""The update record's state machine (contract §1.12): which status may follow which."""

from __future__ import annotations

import enum

from webmacs_sdk.errors import Conflict


class UpdateStatus(enum.StrEnum):
    """Where an update record stands."""

    PENDING = "pending"
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"
    APPLYING = "applying"
    COMPLETED = "completed"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


S = UpdateStatus

#: status → the statuses it may move to
TRANSITIONS: dict[UpdateStatus, frozenset[UpdateStatus]] = {
    S.PENDING: frozenset({S.DOWNLOADING, S.COMPLETED, S.FAILED}),
    S.DOWNLOADING: frozenset({S.VERIFYING, S.FAILED}),
    S.VERIFYING: frozenset({S.APPLYING, S.FAILED}),
    S.APPLYING: frozenset({S.COMPLETED, S.FAILED}),
    S.COMPLETED: frozenset({S.ROLLED_BACK}),
    S.FAILED: frozenset({S.PENDING}),
    S.ROLLED_BACK: frozenset({S.PENDING}),
}


def check_transition(current: str, new: UpdateStatus) -> None:
    """Refuse an illegal move with the contract's 409 ``Cannot transition from '<a>' to '<b>'``."""
    if new not in TRANSITIONS[UpdateStatus(current)]:
        raise Conflict(f"Cannot transition from '{current}' to '{new}'")
