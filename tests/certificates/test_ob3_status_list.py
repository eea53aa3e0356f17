"""Bitstring Status List: encoding, random indexes, the list credential (THREATS C4, C5, P3)."""

import base64
import gzip
from datetime import UTC, datetime

import pytest

from certificates.ob3 import status_list

from .ob3_support import DID, SITE_URL, Issuance


def test_empty_list_is_131072_bits_gzip_base64url_multibase():
    encoded = status_list.Bitstring().encode()
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == bytes(131_072 // 8)


def test_decodes_the_w3c_spec_example_list():
    # The all-zero 16 KB list from the W3C Bitstring Status List specification.
    bits = status_list.Bitstring.decode(
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    )
    assert bits.length == 131_072 and not any(bits.get(i) for i in (0, 1, 131_071))


def test_bit_zero_is_the_leftmost_bit_and_round_trips():
    bits = status_list.Bitstring()
    bits.set(0, True)
    bits.set(131_071, True)
    decoded = status_list.Bitstring.decode(bits.encode())
    assert decoded.get(0) and decoded.get(131_071) and not decoded.get(1)
    assert decoded._bytes[0] == 0x80 and decoded._bytes[-1] == 0x01


@pytest.mark.parametrize("index", [-1, 131_072, "5", 1.0])
def test_out_of_range_indexes_are_refused(index):
    with pytest.raises(status_list.StatusListError):
        status_list.Bitstring().get(index)


def test_short_lists_and_garbage_are_refused():
    with pytest.raises(status_list.StatusListError):
        status_list.Bitstring(1024)
    short = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(16))).decode().rstrip("=")
    for encoded in ("zabc", "u!!!", "unot-gzip", short):
        with pytest.raises(status_list.StatusListError):
            status_list.Bitstring.decode(encoded)


def test_fifty_badges_get_distinct_random_non_sequential_indexes():
    """THREATS P3."""
    taken: set[int] = set()
    for _ in range(50):
        taken.add(status_list.allocate_index(taken))
    assert len(taken) == 50
    ordered = sorted(taken)
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    assert max(gaps) > 50  # sequential allocation would give gaps of 1
    assert ordered[-1] - ordered[0] > 10_000


def test_allocation_finds_the_last_free_index_and_then_reports_full():
    taken = set(range(131_072)) - {4242}
    assert status_list.allocate_index(taken) == 4242
    with pytest.raises(status_list.StatusListFull):
        status_list.allocate_index(set(range(131_072)))


def test_status_entry_shape():
    entry = status_list.status_entry(SITE_URL, "suspension", 123)
    assert entry == {
        "id": f"{SITE_URL}/status/suspension#123",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "123",
        "statusListCredential": f"{SITE_URL}/status/suspension",
    }
    with pytest.raises(status_list.StatusListError):
        status_list.status_entry(SITE_URL, "refresh", 1)


def test_list_credential_is_signed_and_re_signed_on_change():
    issuance = Issuance()
    url = f"{SITE_URL}/status/revocation"
    before = issuance.status_lists()[url]
    assert before["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert before["issuer"] == DID
    assert before["credentialSubject"]["type"] == "BitstringStatusList"
    assert before["credentialSubject"]["statusPurpose"] == "revocation"
    status_list.set_status(issuance.bits["revocation"], 99, "revocation", True)
    after = issuance.status_lists()[url]
    assert after["credentialSubject"]["encodedList"] != before["credentialSubject"]["encodedList"]
    assert after["proof"][0]["proofValue"] != before["proof"][0]["proofValue"]
    assert status_list.Bitstring.decode(after["credentialSubject"]["encodedList"]).length >= 131_072


def test_list_credential_dates_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        status_list.build_status_list_credential(
            site_url=SITE_URL,
            issuer_did=DID,
            purpose="revocation",
            bits=status_list.Bitstring(),
            valid_from=datetime(2025, 1, 1),  # noqa: DTZ001
        )
    assert (
        status_list.build_status_list_credential(
            site_url=SITE_URL,
            issuer_did=DID,
            purpose="revocation",
            bits=status_list.Bitstring(),
            valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        )["validFrom"]
        == "2025-01-01T00:00:00Z"
    )
