"""names.clean_display_name: the one rule for names printed on certificates (docs/threats.md,
row B4)."""

import pytest
from django.core.exceptions import ValidationError

from lms.accounts.names import MAX_DISPLAY_NAME_LENGTH, clean_display_name

SCRIPTS = [
    "Ada Lovelace",
    "Zoë Ñúñez-O'Brien",
    "王小明",
    "فاطمة الزهراء",
    "देवनागरी नाम",
    "क्‍ष",  # contains U+200D ZERO WIDTH JOINER, which Devanagari needs
    "👩‍🔬 Wanjiru",  # ZWJ emoji sequence
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("name", SCRIPTS)
def test_names_in_any_script_are_kept_exactly(name):
    assert clean_display_name(name) == name


def test_zero_width_joiner_is_kept():
    assert "\u200d" in clean_display_name("क\u094d\u200dष")


def test_surrounding_whitespace_is_trimmed_and_text_put_in_nfc():
    decomposed = "Zoe\u0301"  # e + combining acute
    assert clean_display_name(f"  {decomposed}  ") == "Zoé"


def test_cleaning_is_idempotent():
    for name in SCRIPTS:
        assert clean_display_name(clean_display_name(name)) == clean_display_name(name)


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e"])
def test_bidi_embeddings_and_overrides_are_rejected_naming_the_character(char):
    with pytest.raises(ValidationError) as excinfo:
        clean_display_name(f"Ada{char}ecalevoL")
    message = excinfo.value.messages[0]
    assert f"U+{ord(char):04X}" in message
    assert "text-direction" in message


@pytest.mark.parametrize("char", ["\u2066", "\u2067", "\u2068", "\u2069"])
def test_bidi_isolates_are_rejected(char):
    with pytest.raises(ValidationError):
        clean_display_name(f"Ada{char}Lovelace")


@pytest.mark.parametrize(
    "char", ["\x01", "\t", "\n", "\x7f", "\u200b", "\u200e", "\ufeff", "\u2028", "\ud800"]
)
def test_other_control_and_invisible_characters_are_rejected(char):
    with pytest.raises(ValidationError) as excinfo:
        clean_display_name(f"Ada{char}Lovelace")
    assert excinfo.value.code == "control_characters"


def test_nul_is_rejected():
    with pytest.raises(ValidationError) as excinfo:
        clean_display_name("Ada\x00Lovelace")
    assert excinfo.value.code == "null_characters"


def test_length_limit():
    assert clean_display_name("a" * MAX_DISPLAY_NAME_LENGTH) == "a" * MAX_DISPLAY_NAME_LENGTH
    for value in ("a" * (MAX_DISPLAY_NAME_LENGTH + 1), "界" * 10_000):
        with pytest.raises(ValidationError) as excinfo:
            clean_display_name(value)
        assert excinfo.value.code == "max_length"


@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_blank_is_rejected(value):
    with pytest.raises(ValidationError):
        clean_display_name(value)
