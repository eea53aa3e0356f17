"""Bitstring Status List: encoding, random indexes, the list credential (docs/threats.md, rows C4,
C5, P3)."""

import base64
import gzip
import re
from datetime import UTC, datetime

import pytest

from certificates.signing.ob3 import status_list

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
    """docs/threats.md, row P3."""
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


def exactly(message: str) -> str:
    """A pytest.raises pattern matching the whole message and nothing else."""
    return f"^{re.escape(message)}$"


def _bits_with(*indexes: int) -> status_list.Bitstring:
    bits = status_list.Bitstring()
    for index in indexes:
        bits.set(index, True)
    return bits


# Indexes at both edges of a byte, at both ends of the list, and mid-byte.
EDGE_INDEXES = [0, 1, 7, 8, 15, 16, 4_242, 131_063, 131_064, 131_070, 131_071]


@pytest.mark.parametrize("index", EDGE_INDEXES)
def test_clearing_a_bit_leaves_every_set_neighbour_set(index):
    """Reinstating one badge must not reinstate the badges on either side of it (the
    nine bits each way cross a byte boundary in both directions)."""
    neighbours = [i for i in range(index - 9, index + 10) if 0 <= i < 131_072 and i != index]
    bits = _bits_with(index, *neighbours)
    bits.set(index, False)
    assert bits.encode() == _bits_with(*neighbours).encode()
    assert [i for i in range(max(0, index - 9), min(131_072, index + 10)) if bits.get(i)] == (
        neighbours
    )


@pytest.mark.parametrize("index", EDGE_INDEXES)
def test_setting_a_bit_touches_no_neighbour_and_setting_it_again_keeps_it(index):
    bits = status_list.Bitstring()
    bits.set(index, True)
    bits.set(index, True)
    assert [i for i in range(131_072) if bits.get(i)] == [index]
    raw = bytearray(131_072 // 8)
    raw[index // 8] = 0x80 >> (index % 8)  # bit 0 is the leftmost bit of byte 0
    assert bits.encode() == status_list.Bitstring(data=bytes(raw)).encode()


def test_clearing_a_clear_bit_between_set_ones_changes_nothing():
    bits = _bits_with(6, 8)
    bits.set(7, False)
    assert bits.encode() == _bits_with(6, 8).encode()


def test_set_status_refuses_an_unknown_purpose_and_leaves_the_list_alone():
    bits = _bits_with(5)
    with pytest.raises(
        status_list.StatusListError, match=exactly("unknown status purpose 'refresh'")
    ):
        status_list.set_status(bits, 5, "refresh", False)
    with pytest.raises(
        status_list.StatusListError, match=exactly("unknown status purpose 'refresh'")
    ):
        status_list.set_status(bits, 6, "refresh", True)
    assert bits.encode() == _bits_with(5).encode()


def test_a_revocation_bit_cannot_be_cleared_but_a_suspension_bit_can():
    revocations = _bits_with(9, 10)
    with pytest.raises(
        status_list.StatusListError,
        match=exactly("a revocation cannot be undone: issue a new badge instead"),
    ):
        status_list.set_status(revocations, 10, "revocation", False)
    assert revocations.encode() == _bits_with(9, 10).encode()
    # Clearing a revocation bit that was never set is no undo: nothing changes, no error.
    status_list.set_status(revocations, 11, "revocation", False)
    status_list.set_status(revocations, 12, "revocation", True)
    assert revocations.encode() == _bits_with(9, 10, 12).encode()

    suspensions = _bits_with(9, 10)
    status_list.set_status(suspensions, 10, "suspension", False)
    assert suspensions.encode() == _bits_with(9).encode()


@pytest.mark.parametrize("length", [131_072, 131_080, 262_144])
def test_a_list_of_any_multiple_of_8_from_the_minimum_up_is_accepted(length):
    bits = status_list.Bitstring(length)
    bits.set(length - 1, True)
    decoded = status_list.Bitstring.decode(bits.encode())
    assert (decoded.length, decoded.get(length - 1), decoded.get(length - 2)) == (
        length,
        True,
        False,
    )
    with pytest.raises(
        status_list.StatusListError, match=exactly(f"status index {length} outside 0..{length - 1}")
    ):
        bits.get(length)


@pytest.mark.parametrize("length", [131_064, 131_071, 131_073, 131_076, 0])
def test_a_list_shorter_than_the_minimum_or_not_whole_bytes_is_refused(length):
    with pytest.raises(
        status_list.StatusListError,
        match=exactly("a status list holds a multiple of 8 >= 131072 bits"),
    ):
        status_list.Bitstring(length)


def test_data_of_the_wrong_size_is_refused():
    for size in (131_072 // 8 - 1, 131_072 // 8 + 1):
        with pytest.raises(
            status_list.StatusListError, match=exactly("data does not match the list length")
        ):
            status_list.Bitstring(131_072, bytes(size))
    assert status_list.Bitstring(131_072, bytes(131_072 // 8)).encode() == (
        status_list.Bitstring().encode()
    )


def test_a_list_decoded_without_padding_or_with_it_is_the_same_list():
    encoded = _bits_with(3, 77_777).encode()
    body = encoded[1:]
    padded = "u" + body + "=" * (-len(body) % 4)
    for text in (encoded, padded):
        decoded = status_list.Bitstring.decode(text)
        assert decoded.encode() == encoded
        assert [i for i in (2, 3, 4, 77_776, 77_777, 77_778) if decoded.get(i)] == [3, 77_777]


@pytest.mark.parametrize("encoded", [None, 42, b"uabc", "", "U" + "A" * 8])
def test_an_encoded_list_must_be_multibase_base64url(encoded):
    with pytest.raises(
        status_list.StatusListError, match=exactly("encodedList must be multibase base64url ('u')")
    ):
        status_list.Bitstring.decode(encoded)


def test_an_undecodable_list_says_why():
    with pytest.raises(status_list.StatusListError, match="^encodedList does not decode: "):
        status_list.Bitstring.decode("unot-gzip")


def test_the_encoding_depends_on_the_bits_alone():
    # gzip's header carries a modification time: it is pinned, so a re-signed list
    # whose bits did not change has the same encodedList (and ETag) whenever it is made.
    first = _bits_with(1).encode()
    raw = gzip.decompress(base64.urlsafe_b64decode(first[1:] + "=" * (-len(first[1:]) % 4)))
    assert first == _bits_with(1).encode()
    assert first == "u" + base64.urlsafe_b64encode(gzip.compress(raw, mtime=0)).decode().rstrip("=")


@pytest.mark.parametrize("taken_count", [0, 1, 65_535, 65_536, 65_537, 131_000, 131_071])
def test_allocation_returns_a_free_index_whatever_the_fill(taken_count):
    taken = set(range(1, taken_count + 1))  # all but index 0 when full up to 131_071
    for _ in range(20):
        index = status_list.allocate_index(taken)
        assert 0 <= index < 131_072 and index not in taken


def test_allocation_in_a_longer_list_can_use_its_whole_length():
    length = 262_144
    taken = set(range(length)) - {length - 1}
    assert status_list.allocate_index(taken, length) == length - 1
    assert status_list.allocate_index(set(range(1, length)), length) == 0
    with pytest.raises(status_list.StatusListFull, match=exactly("every status index is taken")):
        status_list.allocate_index(set(range(length)), length)


def test_the_list_url_ignores_a_trailing_slash_and_refuses_unknown_purposes():
    assert status_list.status_list_url(SITE_URL + "/", "revocation") == (
        f"{SITE_URL}/status/revocation"
    )
    assert status_list.status_list_url(SITE_URL, "suspension") == f"{SITE_URL}/status/suspension"
    with pytest.raises(
        status_list.StatusListError, match=exactly("unknown status purpose 'refresh'")
    ):
        status_list.status_list_url(SITE_URL, "refresh")


def test_the_list_url_keeps_every_other_character_of_a_site_under_a_path():
    # Only slashes are trimmed: a site served under a path ending in other characters
    # (here an upper-case X) keeps them, or every list URL would point elsewhere.
    site = "https://training.example.org/LMX"
    assert status_list.status_list_url(site + "/", "suspension") == f"{site}/status/suspension"


def test_the_unsigned_list_credential_is_exactly_the_spec_shape():
    bits = _bits_with(0, 131_071)
    assert status_list.build_status_list_credential(
        site_url=SITE_URL,
        issuer_did=DID,
        purpose="suspension",
        bits=bits,
        valid_from=datetime(2025, 3, 1, 14, 5, tzinfo=UTC),
    ) == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"{SITE_URL}/status/suspension",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": DID,
        "validFrom": "2025-03-01T14:05:00Z",
        "credentialSubject": {
            "id": f"{SITE_URL}/status/suspension#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": bits.encode(),
        },
    }
