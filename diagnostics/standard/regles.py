"""Per-value rules of `normalize`: one distinct cell text → (new text, rule of the change, note for
`anomalies`). Codes (pivot, postcode, INSEE), dates, summaries, web addresses, telephones, e-mails,
structure types.

Each rule is a pure function of one string, so `normalize` runs it once per distinct value.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from . import cellules
from .cellules import cell_text
from .fields import LIST_SEPARATOR, PIVOT_INCONNU, typologie_labels

RESUME_MAX = 280
DATES_FICTIVES = ("1970-01-01", "1969-12-31")

# Rule applied to one distinct value: value → (new value, rule of the change, note for `anomalies`).
Rule = Callable[[str], "tuple[str, str, str]"]

BLANK_MARKERS = {"null", "none", "nan", "undefined", "missing", "#n/a", "n/a"}


def _changed(new: str, old: str, why: str) -> str:
    return why if new != old else ""


def _line(value: str) -> tuple[str, str, str]:
    new = " ".join(value.split())
    return new, _changed(new, value, "espaces superflus retirés"), ""


def _block(value: str) -> tuple[str, str, str]:
    new = value.strip()
    return new, _changed(new, value, "espaces superflus retirés"), ""


def _integral_text(text: str) -> str:
    """Undo number formatting of codes: "13002603200016.0" or "1.3002603200016e+13" → digits."""
    if re.fullmatch(r"\d+\.0+", text):
        return text.split(".")[0]
    if re.fullmatch(r"\d(?:\.\d+)?[eE]\+?\d{1,2}", text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number == number.to_integral_value():
            return str(int(number))
    return text


_PIVOT = re.compile(r"[A-Za-z0-9]{9,14}")


def _pivot(value: str) -> tuple[str, str, str]:
    text = value.strip()
    if not text:
        return PIVOT_INCONNU, "pivot inconnu (convention du standard)", ""
    compact = _integral_text(re.sub(r"\s", "", text))
    if _PIVOT.fullmatch(compact):
        return compact, _changed(compact, value, "pivot nettoyé"), ""
    head = re.match(r"[A-Za-z0-9]+", compact)
    if head and len(head.group()) in (9, 14) and head.group().isdigit():
        return head.group(), "SIREN/SIRET extrait", ""
    return (
        PIVOT_INCONNU,
        "pivot invalide remplacé par l'inconnu",
        f"pivot invalide « {text} » remplacé par {PIVOT_INCONNU}",
    )


def _code_postal(value: str) -> tuple[str, str, str]:
    text = value.strip()
    compact = _integral_text(re.sub(r"\s", "", text))
    if not text or re.fullmatch(r"\d{5}", compact):
        return compact, _changed(compact, value, "espaces retirés"), ""
    if re.fullmatch(r"\d{4}", compact):
        return "0" + compact, "zéro initial rétabli", ""
    found = re.findall(r"(?<!\d)\d{5}(?!\d)", text)
    if len(found) == 1:
        return found[0], "code postal extrait", ""
    return text, _changed(text, value, "espaces superflus retirés"), f"code postal invalide « {text} »"


_INSEE = re.compile(r"([013-9]\d|2[AB1-9])\d{3}")


def _code_insee(value: str) -> tuple[str, str, str]:
    text = value.strip()
    compact = _integral_text(re.sub(r"\s", "", text)).upper()
    if re.fullmatch(r"\d{4}", compact):
        compact = "0" + compact
    if not text or _INSEE.fullmatch(compact):
        return compact, _changed(compact, value, "code INSEE complété ou nettoyé"), ""
    return "", "code INSEE invalide retiré", f"code INSEE invalide retiré : « {text} »"


def _parse_date(text: str) -> str | None:
    """A date in any of the forms seen in places files → YYYY-MM-DD (None when unreadable)."""
    patterns = (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", (1, 2, 3)),
        (r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[T ].*)?", (1, 2, 3)),
        (r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[T ].*)?", (3, 2, 1)),
    )
    for pattern, (y, m, d) in patterns:
        match = re.fullmatch(pattern, text)
        if match:
            return _iso_date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
    if re.fullmatch(r"\d{8}", text):
        return _iso_date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        number = float(text)
        if 20000 <= number < 80000:  # Excel serial day (1954–2119)
            return (dt.date(1899, 12, 30) + dt.timedelta(days=int(number))).isoformat()
        for scale in (1, 1000):  # Unix epoch in seconds or milliseconds
            if 1e8 <= number / scale < 5e9:
                return dt.datetime.fromtimestamp(number / scale, dt.UTC).date().isoformat()
    return None


def _iso_date(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_maj(value: str) -> tuple[str, str, str]:
    text = value.strip()
    if not text:
        return "", _changed("", value, "espaces superflus retirés"), ""
    day = _parse_date(text)
    if day is None:
        return "", "date illisible retirée", f"date de mise à jour illisible : « {text} »"
    note = "date de mise à jour fictive (1970)" if day in DATES_FICTIVES else ""
    return day, _changed(day, value, "date mise au format AAAA-MM-JJ"), note


def _resume(value: str) -> tuple[str, str, str]:
    text = value.strip()
    if len(text) <= RESUME_MAX:
        return text, _changed(text, value, "espaces superflus retirés"), ""
    cut = text[: RESUME_MAX - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    cut = cut.rstrip(" ,;:.-–") + "…"
    return cut, "résumé tronqué à 280 caractères", f"résumé de {len(text)} caractères tronqué à 280"


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


_DOMAIN = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?")


def _urls(text: str) -> tuple[list[str], list[str]]:
    """Web addresses in a cell: http(s) kept, bare domains given https://, other schemes refused."""
    kept, notes = [], []
    for item in re.split(r"[|;\s]+|,\s+", text.strip()):
        item = item.strip("<>\"'")
        if not item:
            continue
        scheme = _SCHEME.match(item)
        if scheme and scheme.group(1).lower() in ("http", "https") and len(item) > len(scheme.group()) + 2:
            kept.append(item)
        elif scheme and not _DOMAIN.fullmatch(item):
            notes.append(f"adresse web refusée (seules http et https sont acceptées) : « {item} »")
        elif _DOMAIN.fullmatch(item) and "@" not in item:
            kept.append("https://" + item)
        else:
            notes.append(f"adresse web non reconnue : « {item} »")
    return list(dict.fromkeys(kept)), notes


def site_web(value: str) -> tuple[str, str, str]:
    kept, notes = _urls(value)
    new = LIST_SEPARATOR.join(kept)
    return new, _changed(new, value, "adresses web nettoyées"), "; ".join(notes)


def _single_url(name: str) -> Rule:
    def rule(value: str) -> tuple[str, str, str]:
        kept, notes = _urls(value)
        if len(kept) > 1:
            notes.append(f"{name} : adresses supplémentaires non reprises : « {' '.join(kept[1:])} »")
        new = kept[0] if kept else ""
        return new, _changed(new, value, "adresse web nettoyée"), "; ".join(notes)

    return rule


SCALAR_RULES: dict[str, Rule] = {
    "id": _line,
    "pivot": _pivot,
    "nom": _line,
    "commune": _line,
    "code_postal": _code_postal,
    "code_insee": _code_insee,
    "adresse": _line,
    "complement_adresse": _line,
    "horaires": _line,
    "presentation_resume": _resume,
    "presentation_detail": _block,
    "source": _line,
    "structure_parente": _line,
    "date_maj": _date_maj,
    "fiche_acces_libre": _single_url("fiche_acces_libre"),
    "prise_rdv": _single_url("prise_rdv"),
}


# Joins a phone number to its row's postcode for one rule call (pandas drops "\x00" in concatenation).
CONTEXT = "\x1f"


_COUNTRY_CODES = ("590", "594", "262", "596", "269", "687", "689", "508", "681", "33")


# National prefix of overseas numbers → country code. Mayotte (0269, 0639) is +262 since 2007;
# the standard also accepts the old +269, but +262 is what the numbers dial today.
_OVERSEAS = {
    "0590": "590",
    "0690": "590",
    "0594": "594",
    "0694": "594",
    "0262": "262",
    "0692": "262",
    "0693": "262",
    "0596": "596",
    "0696": "596",
    "0269": "262",
    "0639": "262",
}


# Pacific and Saint-Pierre numbers have no national 0 prefix; the postal code tells the territory.
_LOCAL_BY_POSTCODE = {"988": ("687", 6), "986": ("681", 6), "975": ("508", 6), "987": ("689", 8)}


def telephone(value: str) -> tuple[str, str, str]:
    """`number CONTEXT postcode prefix` → number in the standard's international form."""
    raw, _, postcode = value.rpartition(CONTEXT)
    text = raw.strip()
    if not text or text.lower() in BLANK_MARKERS:
        return "", _changed("", raw, "marqueur de valeur vide retiré"), ""
    numbers = [p for p in re.split(r"\s*(?:/|;|\||,|\bou\b|\bet\b|\s-\s|\n)\s*", text) if re.search(r"\d", p)]
    digits = re.sub(r"\D", "", numbers[0]) if numbers else ""
    if len(numbers) == 1 and len(digits) == 20 and digits[0] == digits[10] == "0":
        numbers = [digits[:10], digits[10:]]  # two national numbers written without a separator
    first = _phone_number(numbers[0], postcode) if numbers else None
    notes = []
    if first is None:
        return "", "téléphone non reconnu retiré", f"téléphone non reconnu : « {text} »"
    if len(numbers) > 1:
        notes.append(f"autres numéros non repris : « {', '.join(numbers[1:])} »")
    return first, _changed(first, raw, "téléphone au format international"), "; ".join(notes)


def _phone_number(text: str, postcode: str) -> str | None:
    text = re.sub(r"\(0\)", "", re.sub(r"\.0$", "", text.strip()))
    digits = re.sub(r"\D", "", text)
    international = text.startswith("+") or digits.startswith("00")
    if international:
        digits = digits[2:] if digits.startswith("00") and not text.startswith("+") else digits
        for code in _COUNTRY_CODES:
            if digits.startswith(code):
                rest = digits[len(code) :]
                rest = rest[1:] if len(rest) == 10 and rest.startswith("0") else rest
                return f"+{code}{rest}" if 6 <= len(rest) <= 9 else None
        return None
    local = _LOCAL_BY_POSTCODE.get(postcode)
    if local and len(digits) == local[1]:
        return f"+{local[0]}{digits}"
    if len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits  # leading zero lost when the number was stored as a number
    if len(digits) == 10 and digits.startswith("0"):
        return f"+{_OVERSEAS.get(digits[:4], '33')}{digits[1:]}"
    return None


def value_key(text: str) -> str:
    """Spelling-insensitive key: no accents, no case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", cellules.strip_accents(text).lower())


def split_items(text: str, separators: str = r"[|;\n]") -> list[str]:
    """Cell → values: JSON array text, or `|`/`;` lists, and commas outside parentheses."""
    text = text.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [cell_text(x).strip() for x in parsed if cell_text(x).strip()]
    items = []
    for piece in re.split(separators, text):
        items += _split_commas(piece)
    return [i.strip() for i in items if i.strip()]


def _split_commas(text: str) -> list[str]:
    # v0 labels carry commas inside parentheses: "(situation familiale, convention avec…)".
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char == "(") - (char == ")" and depth > 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")


def courriels(value: str) -> tuple[str, str, str]:
    kept, notes = [], []
    for item in re.split(r"[|;,\s]+", value.strip()):
        email = item.strip("<>\"'()[].").lower().removeprefix("mailto:")
        if _EMAIL.fullmatch(email):
            kept.append(email)
        elif email:
            notes.append(f"courriel invalide retiré : « {item} »")
    new = LIST_SEPARATOR.join(unique(kept))
    return new, _changed(new, value, "courriels nettoyés (minuscules, séparateur « | »)"), "; ".join(notes)


@lru_cache(maxsize=1)
def _typologie_lookup() -> dict[str, str]:
    """Key of a code or of its French label → code (codes win when a label's key equals a code's)."""
    lookup = {value_key(label): code for code, label in typologie_labels().items()}
    lookup.update({value_key(code): code for code in typologie_labels()})
    return lookup


def typologie(value: str) -> tuple[str, str, str]:
    lookup = _typologie_lookup()
    codes = [lookup.get(value_key(item), item) for item in split_items(value, r"[|;,\n]")]
    new = LIST_SEPARATOR.join(unique(codes))
    return new, _changed(new, value, "typologie normalisée (codes, séparateur « | »)"), ""


def autres(value: str) -> tuple[str, str, str]:
    new = LIST_SEPARATOR.join(unique([i.strip() for i in re.split(r"[|;\n]", value) if i.strip()]))
    return new, _changed(new, value, "liste normalisée (séparateur « | », doublons retirés)"), ""
