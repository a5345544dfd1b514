"""Text helpers every part shares: slugs, ISO 8601 durations, e-mail addresses.

Each job has one function here and nowhere else (tests/test_shared_helpers.py checks),
so the admin, the content files, the video sync, the feeds and the newsletter give
the same answer for the same input. This module sits at the bottom of the import
graph: it imports the standard library, ``comms.errors`` and ``comms.messages`` (the
dependency-free translation mark) only.
"""

from __future__ import annotations

import re
import unicodedata

from comms.errors import ValidationFailed
from comms.messages import N_

# Lowercase ASCII letters and digits in groups joined by single hyphens.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_LENGTH = 80
# Letters NFKD does not split into a base letter and an accent, spelt as their
# languages spell them in ASCII. Lower case only: the text is lowered first.
_LATIN = str.maketrans(
    {
        "ß": "ss",  # German
        "œ": "oe",  # French
        "æ": "ae",  # French, Nordic
        "đ": "d",  # Slovenian, Croatian
        "ð": "d",
        "ø": "o",
        "ł": "l",
        "þ": "th",
        "ı": "i",
    }
)
_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼ`´", ""))
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# ISO 8601 durations as YouTube writes them: PT4M13S, P1DT2H, P0D, P1W2DT3H (weeks
# for very long videos), seconds possibly with a fraction.
DURATION = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_SCALES = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60))
MAX_EMAIL_LENGTH = 254
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@(?=.{4,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def slugify(text: str, max_length: int = SLUG_LENGTH, fallback: str = "item") -> str:
    """A URL slug from a title: ASCII letters and digits joined by hyphens.

    Accented letters keep their base letter in every interface language ("Zürich
    Ökonomie" gives ``zurich-okonomie``, "Čezmejni" ``cezmejni``, "Straße"
    ``strasse``, "cœur" ``coeur``); apostrophes vanish ("l'économie" gives
    ``leconomie``). German umlauts lose their dots rather than become ae/oe/ue: one
    rule for all languages (an ä in a Slovenian or French title is no German umlaut)
    and the rule every video slug already stored follows. Cut at a hyphen to at
    most ``max_length`` characters. A title with no Latin letter or digit (Greek,
    Cyrillic, Japanese, only punctuation) gives ``fallback``; pass ``""`` to learn
    that the title gave nothing.
    """
    lowered = text.lower().translate(_LATIN).translate(_APOSTROPHES)
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore")
    slug = _NOT_SLUG.sub("-", ascii_text.decode("ascii").lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-") or fallback


def duration_seconds(value: str | None) -> float | None:
    """Seconds of an ISO 8601 duration (PT4M13S, P1DT2H, P0D); None if unreadable.

    ``P`` and ``PT`` alone name no amount and are unreadable, as is anything
    else ``DURATION`` does not match.
    """
    match = DURATION.match(value or "")
    if not value or match is None or value in ("P", "PT") or value.endswith("T"):
        return None
    parts = match.groupdict()
    total = float(parts["s"] or 0)
    for key, scale in _SCALES:
        total += int(parts[key] or 0) * scale
    return total


def email_address(value: str) -> str:
    """``value`` as an e-mail address (case kept); ValueError if it is not one."""
    email = value.strip()
    if len(email) > MAX_EMAIL_LENGTH or ".." in email or not _EMAIL.match(email):
        raise ValueError("must be an e-mail address")
    return email


def normalise_email(raw: str) -> str:
    """The address trimmed and lower-cased; ValidationFailed when it is not one.

    The whole address is lowered, local part included: accounts and subscribers
    have always been stored that way, and their unique indexes, log-in and the
    rate limits compare lowered addresses, so an address typed with capitals
    finds its row. Domains must be ASCII (an internationalised domain is written
    in its ``xn--`` form), as the mail transport sends without SMTPUTF8.
    """
    email = raw.strip().lower()
    if not email:
        raise ValidationFailed(["email: " + N_("please enter your e-mail address")])
    try:
        return email_address(email)
    except ValueError:
        raise ValidationFailed(
            [f"email: {raw.strip()[:100]!r} is not a valid e-mail address"]
        ) from None
