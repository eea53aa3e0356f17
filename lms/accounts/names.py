"""The rule for a name printed on certificates, as plain functions: `clean_display_name`
for sign-up and the profile form, and its printable-glyphs part `check_printable_name`,
which the admin's award form also asks before a badge is issued to a stored name.

A name is kept exactly as written in any script (Latin, Chinese, Arabic, Devanagari,
emoji) and is escaped wherever it is shown. What is refused is the invisible: NUL and
other control characters, bidi overrides/embeddings/isolates, zero-width spaces and
similar format characters. They are *rejected* with a message naming the character
rather than silently stripped, because the fellow should see exactly what will be
printed and signed; a stripped name could differ from what they typed without them
knowing, and a control character inside a signed credential breaks verification.
A character that no badge font can draw is refused too, naming it, because it would
print as a box while the signed credential says otherwise.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from certificates.rendering.glyph_coverage import describe_characters, unprintable_characters

MAX_DISPLAY_NAME_LENGTH = 200

# Format characters (category Cf) a name legitimately needs: the zero-width joiner
# and non-joiner shape Devanagari, Persian and emoji sequences.
_ALLOWED_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})

# Bidi embedding/override (U+202A-U+202E) and isolates (U+2066-U+2069): named
# explicitly so the error message can say what they are.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])

# Cc control, Cf format (minus the allow-list), Cs lone surrogates, Co private use,
# Cn unassigned, Zl/Zp line and paragraph separators.
_REJECTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _describe(char: str) -> str:
    name = unicodedata.name(char, "control character")
    return f"U+{ord(char):04X} {name}"


def find_forbidden_character(value: str) -> str | None:
    """Return the first character a printed name may not contain, or None."""
    for char in value:
        if char in _ALLOWED_FORMAT_CHARACTERS:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _REJECTED_CATEGORIES:
            return char
    return None


def clean_display_name(value: str) -> str:
    """Return the name to store and print, or raise ValidationError saying why not.

    Surrounding whitespace is trimmed and the text is put in Unicode NFC form (a
    canonical, visually identical encoding, so a signature over the name is stable
    whichever keyboard produced it). Everything else is kept exactly. Idempotent:
    clean_display_name(clean_display_name(x)) == clean_display_name(x).
    """
    if not isinstance(value, str):
        raise ValidationError(_("Enter your name as text."), code="invalid")
    # Length first: a 10 kB value is refused before any per-character work.
    if len(value) > MAX_DISPLAY_NAME_LENGTH * 4:
        raise ValidationError(
            _("Your name can be at most %(limit)d characters long.")
            % {"limit": MAX_DISPLAY_NAME_LENGTH},
            code="max_length",
        )
    if "\x00" in value:
        raise ValidationError(
            _("Your name cannot contain a NUL character."), code="null_characters"
        )
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        raise ValidationError(_("Enter the name to print on your certificates."), code="required")
    if len(value) > MAX_DISPLAY_NAME_LENGTH:
        raise ValidationError(
            _("Your name can be at most %(limit)d characters long (it has %(length)d).")
            % {"limit": MAX_DISPLAY_NAME_LENGTH, "length": len(value)},
            code="max_length",
        )
    bad = find_forbidden_character(value)
    if bad is not None:
        if bad in _BIDI_CONTROLS:
            message = _(
                "Your name contains a text-direction control (%(character)s) that cannot be "
                "printed on a certificate. Please remove it and type the name again."
            )
        else:
            message = _(
                "Your name contains an invisible character (%(character)s) that cannot be "
                "printed on a certificate. Please remove it and type the name again."
            )
        raise ValidationError(
            message % {"character": _describe(bad)},
            code="control_characters",
        )
    check_printable_name(value)
    return value


def check_printable_name(value: str) -> None:
    """Raise ValidationError naming the characters of `value` no badge font can print."""
    missing = unprintable_characters(value)
    if missing:
        raise ValidationError(
            _(
                "These characters cannot be printed on a badge: %(characters)s. "
                "Please write the name without them."
            )
            % {"characters": describe_characters(missing)},
            code="unprintable",
        )
