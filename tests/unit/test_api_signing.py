"""Gateway signature vectors (fixed timestamp / nonce); expected values computed independently."""

import base64
import hashlib
import hmac

from client.api.signing import CsbSigner, NoSigner, XTifSigner, csb_signature, xtif_signature


def test_xtif_literal_vector():
    # computed once with `printf '%s' '1700000000test-secret-123abc123nonce1700000000' | sha256sum`
    assert xtif_signature("1700000000", "test-secret-123", "abc123nonce") == \
        "6e219154e2da55437ef4274f994bb24685eb4e24c56680c80e0633e4eecc9676"


def test_xtif_headers():
    s = XTifSigner("paas-01", "test-secret-123", clock=lambda: 1700000000, nonce=lambda: "abc123nonce")
    h = s.headers("2207")
    assert h["x-tif-paasid"] == "paas-01"
    assert h["x-tif-timestamp"] == "1700000000"
    assert h["x-tif-nonce"] == "abc123nonce"
    expected = hashlib.sha256(b"1700000000test-secret-123abc123nonce1700000000").hexdigest()
    assert h["x-tif-signature"] == expected
    assert h["x-tif-signature"] == h["x-tif-signature"].lower()
    assert "test-secret-123" not in repr(s) and "test-secret-123" not in "".join(h.values())


def test_csb_literal_vector():
    params = {"_api_version": "1.0.0", "_api_name": "hssServices", "_api_timestamp": "1700000000",
              "_api_access_key": "AK001"}
    # computed once with openssl dgst -sha1 -hmac csb-secret -binary | base64
    assert csb_signature(params, "csb-secret") == "gX6Vd3pqemGm1dd3jvOzazl5zas="


def test_csb_headers_sorted_by_key_and_body_not_signed():
    s = CsbSigner("hssServices", "1.0.0", "AK001", "csb-secret", clock=lambda: 1700000000)
    h = s.headers("1101")
    text = "_api_access_key=AK001&_api_name=hssServices&_api_timestamp=1700000000&_api_version=1.0.0"
    expected = base64.b64encode(hmac.new(b"csb-secret", text.encode(), hashlib.sha1).digest()).decode()
    assert h["_api_signature"] == expected
    assert h["_api_timestamp"] == "1700000000"
    assert s.headers("2207")["_api_signature"] == expected   # independent of the transaction/body


def test_csb_milliseconds_variant():
    s = CsbSigner("n", "1.0.0", "AK", "k", clock=lambda: 1700000000, milliseconds=True)
    assert s.headers("1101")["_api_timestamp"] == "1700000000000"


def test_none_profile_adds_nothing():
    assert NoSigner().headers("1101") == {}
