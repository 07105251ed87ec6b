"""How a delivery is signed, and the headers it carries (docs/integrations.md#verifying-a-delivery).

The signature is HMAC-SHA256, keyed with the subscription's secret, over the timestamp, a dot and
the exact bytes of the body: ``hex(HMAC(secret, f"{timestamp}.{body}"))``, sent as
``X-Twofold-Signature: sha256=<hex>`` beside ``X-Twofold-Timestamp: <Unix seconds>``. A receiver
recomputes it, compares in constant time, and refuses timestamps far from its clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac

EVENT_HEADER = "X-Twofold-Event"
DELIVERY_HEADER = "X-Twofold-Delivery"
ATTEMPT_HEADER = "X-Twofold-Attempt"
TIMESTAMP_HEADER = "X-Twofold-Timestamp"
SIGNATURE_HEADER = "X-Twofold-Signature"
USER_AGENT = "Twofold-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Twofold-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(
    *, secret: str, timestamp: int, body: bytes, event: str, delivery_id: str, attempt: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        ATTEMPT_HEADER: str(attempt),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
