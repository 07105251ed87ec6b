"""What identity providers send that scim2-models reads otherwise, adapted before it does.

Microsoft Entra ID sets the enterprise manager with a bare id as the PATCH value
(``{"op": "Add", "path": "…enterprise:2.0:User:manager", "value": "2819c223"}``), where RFC 7643
has a complex ``{"value": "2819c223"}``. Nothing else is changed; anything that is not such a
PATCH passes through as it came.
"""

from __future__ import annotations

import json
from typing import Any

from twofold.scim.resources import ENTERPRISE_USER

MANAGER_PATHS = {"manager", f"{ENTERPRISE_USER}:manager".lower()}


def adapt_patch_body(body: bytes) -> bytes:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body  # scim2-server answers with invalidSyntax
    operations = document.get("Operations") if isinstance(document, dict) else None
    if not isinstance(operations, list):
        return body
    changed = False
    for operation in operations:
        if _bare_manager(operation):
            operation["value"] = {"value": operation["value"]}
            changed = True
    return json.dumps(document).encode() if changed else body


def _bare_manager(operation: Any) -> bool:
    return (
        isinstance(operation, dict)
        and isinstance(operation.get("path"), str)
        and operation["path"].strip().lower() in MANAGER_PATHS
        and isinstance(operation.get("value"), str)
    )
