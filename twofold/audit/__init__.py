"""The audit log: every decision on a write, every read of sensitive data, who, what, when, where.

Other apps write to it through :func:`twofold.audit.record`; the decisions of the permission layer
arrive through ``twofold.accounts.permissions.permission_decided`` (see :mod:`twofold.audit.receivers`).
"""

from __future__ import annotations

from typing import Any


def record(action: str, **kwargs: Any) -> Any:
    """Write an audit entry; see :func:`twofold.audit.recording.record`."""
    from twofold.audit.recording import record as _record  # models load only once Django is set up

    return _record(action, **kwargs)
