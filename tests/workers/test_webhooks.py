"""Standard Webhooks signing and the verifier that receivers (and the other tests) use."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from workers.webhooks import WebhookVerificationError, headers, new_secret, parse_secret, sign, verify

# The test vector of the Standard Webhooks reference libraries (standard-webhooks/standard-webhooks).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_specifications_test_vector() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIG


def test_a_signed_request_verifies_and_gives_its_id() -> None:
    secret = new_secret()
    body = b'{"type": "alert.raised"}'
    hdrs = headers(secret, "msg_abc", body, now=1_700_000_000)
    assert set(hdrs) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert verify(secret, hdrs, body, now=1_700_000_010) == "msg_abc"
    # header names are case-insensitive; a rotated key's signature alongside ours is fine
    upper = {k.title(): v for k, v in hdrs.items()}
    upper["Webhook-Signature"] = "v1,bm90IHRoaXMgb25l " + upper["Webhook-Signature"]
    assert verify(secret, upper, body, now=1_700_000_010) == "msg_abc"


def test_tampered_body_wrong_secret_stale_or_future_timestamp_are_rejected() -> None:
    secret = new_secret()
    body = b'{"title": "detained"}'
    hdrs = headers(secret, "msg_1", body, now=1_700_000_000)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(secret, hdrs, b'{"title": "released"}', now=1_700_000_000)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(new_secret(), hdrs, body, now=1_700_000_000)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(secret, hdrs, body, now=1_700_000_000 + 301)
    with pytest.raises(WebhookVerificationError, match="too old or too far in the future"):
        verify(secret, hdrs, body, now=1_700_000_000 - 301)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(secret, {**hdrs, "webhook-id": "msg_2"}, body, now=1_700_000_000)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(secret, {"webhook-id": "msg_1"}, body)


def test_secrets_must_be_whsec_base64_and_errors_do_not_echo_them() -> None:
    assert len(parse_secret(new_secret())) == 24
    for bad in ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!!", "whsec_c2hvcnQ="):
        with pytest.raises(ConfigError) as info:
            parse_secret(bad)
        assert bad not in str(info.value)
