"""Name matching that survives Romanian spelling variants.

Headers, vocabulary values and place names arrive with comma-below (ș ț), cedilla (ş ţ) or no
diacritics at all, in any case and with stray spaces. Unicode decomposition (stdlib
``unicodedata``) maps every one of those spellings to the same key, so no transliteration
library is needed.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: object) -> str:
    """Return a matching key: lower case, no diacritics, words separated by one space."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped.casefold()).strip()
