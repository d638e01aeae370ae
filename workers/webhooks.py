"""Standard Webhooks: signing what we send, and the verifier a receiver (and our tests) runs.

Per the Standard Webhooks specification (https://www.standardwebhooks.com, "Signature
scheme"): every request carries ``webhook-id`` (the same on every attempt of one message,
so a receiver dedupes on it, as GitHub's and Stripe's delivery ids), ``webhook-timestamp``
(integer Unix seconds of this attempt) and ``webhook-signature``: ``v1,`` and the base64
HMAC-SHA256 of ``{id}.{timestamp}.{body}`` under the secret. A secret is written
``whsec_`` and the key in base64. Several space-separated signatures may be sent (key
rotation); a receiver accepts the request when any one matches. The verifier rejects a
timestamp more than ``tolerance_s`` away from now (five minutes, as the specification's
reference libraries do), which stops replays of a captured request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

from pipeline.errors import ConfigError, PipelineError

SECRET_PREFIX = "whsec_"
TOLERANCE_S = 5 * 60


class WebhookVerificationError(PipelineError):
    """A webhook request whose signature, id or timestamp does not check out."""

    code = "bad_signature"


def parse_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret; a ConfigError (never echoing it) otherwise."""
    if not secret.startswith(SECRET_PREFIX):
        raise ConfigError("a webhook secret must start with 'whsec_'")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("a webhook secret must be 'whsec_' followed by base64") from None
    if len(key) < 12:
        raise ConfigError("a webhook secret's key must be at least 12 bytes")
    return key


def new_secret() -> str:
    """A fresh random secret (24 bytes, like the reference libraries generate)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one request."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(parse_secret(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, msg_id: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt of a message."""
    timestamp = int(now if now is not None else time.time())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    request_headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: float = TOLERANCE_S,
    now: float | None = None,
) -> str:
    """Check one received request; return its webhook-id, or raise WebhookVerificationError."""
    lower = {k.lower(): v for k, v in request_headers.items()}
    msg_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not stamp.isdigit():
        raise WebhookVerificationError("webhook-timestamp is not an integer")
    current = now if now is not None else time.time()
    if abs(current - int(stamp)) > tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too old or too far in the future")
    expected = sign(secret, msg_id, int(stamp), body).partition(",")[2]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return msg_id
    raise WebhookVerificationError("no signature matches")
