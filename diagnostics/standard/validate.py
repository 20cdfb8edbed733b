"""Checking places against the standard v1.0.2: per row on a places frame, and a whole CSV file with frictionless.

Problems are French sentences a person can act on; a file is `valid` when nothing blocks its publication.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostics.standard.fields import ENUMS, LIST_SEPARATOR, field_names, required_fields
from diagnostics.standard.fields import schema as schema_descriptor

BLOQUANT = "bloquant"
AVERTISSEMENT = "avertissement"

_PATTERNS = {
    "pivot": re.compile(r"[a-zA-Z0-9]{9,14}"),
    "code_postal": re.compile(r"\d{5}"),
    "code_insee": re.compile(r"([013-9]\d|2[AB1-9])\d{3}"),
    "telephone": re.compile(r"(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}"),
}
_RESUME_MAX = 280
# The schema's pattern misspells this label without the space; both spellings are accepted.
_SCHEMA_TYPO = {"Étapes numériques (La Poste)": "Étapes numériques(La Poste)"}
_ALLOWED = {name: {*values, *(_SCHEMA_TYPO.get(v, v) for v in values)} for name, values in ENUMS.items()}

_HELP = {
    "id": "un identifiant propre à chaque lieu",
    "pivot": "le SIRET (14 chiffres), le SIREN (9), le RNA (W suivi de 9 chiffres), ou 00000000000000 s'il est inconnu",
    "nom": "le nom du lieu",
    "commune": "le nom de la commune",
    "code_postal": "5 chiffres, par exemple 01053",
    "code_insee": "le code commune INSEE à 5 caractères (2A ou 2B pour la Corse), par exemple 29019",
    "adresse": "le numéro et la voie",
    "telephone": "le format international sans espace : +33 suivi de 9 chiffres (+262, +590, +594, +596… outre-mer)",
    "date_maj": "une date au format AAAA-MM-JJ, par exemple 2024-04-02",
    "latitude": "un nombre décimal avec un point, par exemple 48.3904",
    "longitude": "un nombre décimal avec un point, par exemple -4.4861",
    "presentation_resume": "280 caractères au plus (le texte complet va dans presentation_detail)",
}


def row_problems(places: pd.DataFrame) -> pd.Series:
    """Per row, the French list of what keeps it from passing the standard's schema (empty list: none)."""
    n = len(places)
    found: list[np.ndarray] = []
    text = {name: _text(places, name) for name in field_names()}
    for name in required_fields():
        found.append(np.where(text[name].str.strip() == "", f"champ obligatoire vide : {name}", ""))
    for name, pattern in _PATTERNS.items():
        found.append(_per_value(text[name], lambda v, p=pattern, f=name: _pattern_problem(v, p, f)))
    long = text["presentation_resume"].str.len() > _RESUME_MAX
    found.append(np.where(long, f"presentation_resume dépasse {_RESUME_MAX} caractères", ""))
    found.append(_per_value(text["date_maj"], _date_problem))
    for name in ENUMS:
        found.append(_per_value(text[name], lambda v, f=name: _enum_problem(v, f)))
    for name, limit in (("latitude", 90), ("longitude", 180)):
        if name in places:
            number = pd.to_numeric(places[name], errors="coerce")
            bad = (number.isna() & places[name].notna() & (places[name].astype(str).str.strip() != "")) | (
                number.abs() > limit
            )
            found.append(np.where(bad.to_numpy(), f"{name} n'est pas un nombre valide", ""))
    ids = text["id"]
    doubles = (ids.duplicated(keep=False) & (ids != "")).to_numpy()
    found.append(np.where(doubles, "identifiant en double : « " + ids.to_numpy(dtype=object) + " »", ""))
    stacked = np.vstack([np.asarray(f, dtype=object) for f in found]).T if n else np.empty((0, 0))
    return pd.Series([[p for p in row if p] for row in stacked], index=places.index, dtype=object)


def is_standard_ready(places: pd.DataFrame) -> pd.Series:
    """True for each row that would pass the standard's schema as written by `to_standard_csv`."""
    return row_problems(places).map(len) == 0


def _text(places: pd.DataFrame, name: str) -> pd.Series:
    if name not in places:
        return pd.Series([""] * len(places), index=places.index, dtype=object)
    col = places[name]
    return col.astype(object).where(col.notna(), "").astype(str).astype(object)


def _per_value(values: pd.Series, check) -> np.ndarray:
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    results = np.array([check(u) for u in uniques] or [""], dtype=object)
    return results[codes] if len(codes) else np.array([], dtype=object)


def _pattern_problem(value: str, pattern: re.Pattern, name: str) -> str:
    if value == "" or pattern.fullmatch(value):
        return ""
    return f"{name} au format invalide : « {value} »"


def _date_problem(value: str) -> str:
    if value == "":
        return ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            dt.date.fromisoformat(value)
            return ""
        except ValueError:
            pass
    return f"date_maj n'est pas une date AAAA-MM-JJ : « {value} »"


def _enum_problem(value: str, name: str) -> str:
    if value == "":
        return ""
    bad = [item for item in value.split(LIST_SEPARATOR) if item not in _ALLOWED[name]]
    if not bad:
        return ""
    shown = ", ".join(f"« {b} »" for b in bad if b) or "valeur vide"
    return f"valeur hors liste dans {name} : {shown}"


# --- CSV files ---------------------------------------------------------------------------------


@dataclass
class ProblemeValidation:
    """One kind of problem in one column, with the rows where it occurs (file line numbers)."""

    champ: str
    code: str
    gravite: str  # BLOQUANT or AVERTISSEMENT
    message: str
    correction: str
    lignes: list[int] = field(default_factory=list)
    exemples: list[str] = field(default_factory=list)

    @property
    def lignes_texte(self) -> str:
        """Row numbers as ranges, e.g. "lignes 3–7, 12"."""
        if not self.lignes:
            return ""
        return ("ligne " if len(self.lignes) == 1 else "lignes ") + _ranges(self.lignes)

    def texte(self) -> str:
        """One French line: severity, what, where, how to fix, and up to three values read."""
        where = f" ({self.lignes_texte})" if self.lignes else ""
        seen = " (valeurs lues : " + ", ".join(f"« {e} »" for e in self.exemples) + ")" if self.exemples else ""
        return f"[{self.gravite}] {self.message}{where} : {self.correction}{seen}"


@dataclass
class RapportValidation:
    """Result of `validate_csv`; `valid` means no blocking problem."""

    valid: bool
    problemes: list[ProblemeValidation]
    n_lignes: int = 0
    interrompu: bool = False  # frictionless stopped at its error limit

    def resume(self) -> list[str]:
        """French lines: a verdict, then one line per problem, blocking ones first."""
        lignes = f"{self.n_lignes} ligne" if self.n_lignes == 1 else f"{self.n_lignes} lignes"
        verdict = (
            f"Le fichier respecte le standard ({lignes})."
            if self.valid
            else f"Le fichier ne respecte pas le standard ({lignes}) : corrigez les problèmes bloquants ci-dessous."
        )
        order = sorted(self.problemes, key=lambda p: (p.gravite != BLOQUANT, p.lignes[:1] or [0]))
        lines = [verdict, *(p.texte() for p in order)]
        if self.interrompu:
            lines.append(
                "La validation s'est arrêtée au nombre maximal d'erreurs : corrigez celles-ci puis relancez-la."
            )
        return lines


_LIMIT_ERRORS = 100_000


def validate_csv(path: str | Path) -> RapportValidation:
    """Validate a CSV file against the standard's schema (v1.0.2) with frictionless.

    Encoding, separator and columns are checked first (the standard wants UTF-8, `,` and its 32 columns
    in order); cells are then checked by frictionless and its errors grouped by column and kind.
    """
    path = Path(path)
    data = path.read_bytes()
    problems, fatal = _file_problems(data)
    if fatal:
        return RapportValidation(valid=False, problemes=problems)
    header = next(iter(_csv_rows(data)), [])
    column_problems, in_order = _column_problems(header)
    problems += column_problems
    task = _frictionless_report(path, in_order).tasks[0]
    groups: dict[tuple[str, str, str], ProblemeValidation] = {}
    for error in task.errors:
        problem = _from_error(error)
        if problem is None:
            continue
        group = groups.setdefault((problem.champ, problem.code, problem.gravite), problem)
        if group is not problem:
            group.lignes += problem.lignes
            group.exemples += [e for e in problem.exemples if e not in group.exemples][: 3 - len(group.exemples)]
    problems += list(groups.values())
    return RapportValidation(
        valid=not any(p.gravite == BLOQUANT for p in problems),
        problemes=problems,
        n_lignes=int(task.stats.get("rows") or 0),
        interrompu=len(task.errors) >= _LIMIT_ERRORS,
    )


def _file_problems(data: bytes) -> tuple[list[ProblemeValidation], bool]:
    """Encoding and separator: a fatal problem stops the validation (cells would be misread)."""
    if not data.strip():
        return [_file_problem("vide", "le fichier est vide", "exportez à nouveau le tableau des lieux")], True
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(
            _file_problem(
                "bom",
                "le fichier commence par une marque d'ordre des octets (BOM)",
                "enregistrez-le en UTF-8 sans BOM si un outil le refuse",
                AVERTISSEMENT,
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(
            _file_problem(
                "encodage",
                "le fichier n'est pas encodé en UTF-8",
                "réenregistrez-le au format « CSV UTF-8 » depuis votre tableur",
            )
        )
        return problems, True
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if first_line.count(",") == 0 and (first_line.count(";") or first_line.count("\t")):
        problems.append(
            _file_problem(
                "separateur",
                "les colonnes ne sont pas séparées par des virgules",
                "réenregistrez le fichier avec la virgule comme séparateur (CSV standard)",
            )
        )
        return problems, True
    return problems, False


def _file_problem(code: str, message: str, correction: str, gravite: str = BLOQUANT) -> ProblemeValidation:
    return ProblemeValidation(champ="", code=code, gravite=gravite, message=message, correction=correction)


def _csv_rows(data: bytes):
    return csv.reader(io.StringIO(data.decode("utf-8-sig")))


def _column_problems(header: list[str]) -> tuple[list[ProblemeValidation], bool]:
    expected = list(field_names())
    if header == expected:
        return [], True
    problems = []
    missing = [name for name in expected if name not in header]
    required = [name for name in missing if name in required_fields()]
    optional = [name for name in missing if name not in required_fields()]
    extra = [name for name in header if name not in expected]
    if required:
        problems.append(
            ProblemeValidation(
                ", ".join(required),
                "colonne-obligatoire-absente",
                BLOQUANT,
                "colonnes obligatoires absentes : " + ", ".join(required),
                "ajoutez ces colonnes avec leur nom exact et remplissez-les",
            )
        )
    if optional:
        problems.append(
            ProblemeValidation(
                ", ".join(optional),
                "colonne-absente",
                AVERTISSEMENT,
                "colonnes du standard absentes : " + ", ".join(optional),
                "ajoutez-les, même vides, pour que le fichier ait les 32 colonnes du standard",
            )
        )
    if extra:
        problems.append(
            ProblemeValidation(
                ", ".join(extra),
                "colonne-hors-standard",
                AVERTISSEMENT,
                "colonnes hors standard : " + ", ".join(extra),
                "retirez-les du fichier publié (elles seront ignorées)",
            )
        )
    present = [name for name in header if name in expected]
    if present != [name for name in expected if name in present]:
        problems.append(
            ProblemeValidation(
                "",
                "ordre-des-colonnes",
                AVERTISSEMENT,
                "les colonnes ne sont pas dans l'ordre du standard",
                "remettez-les dans l'ordre du schéma (id, pivot, nom, commune, code_postal…)",
            )
        )
    return problems, False


def _frictionless_report(path: Path, in_order: bool):
    from frictionless import Resource, Schema

    descriptor = copy.deepcopy(schema_descriptor())
    if not in_order:
        # Columns out of order or missing were reported above; match the others by name.
        descriptor["fieldsMatch"] = "subset"
    resource = Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(descriptor))
    return resource.validate(limit_errors=_LIMIT_ERRORS)


def _from_error(error) -> ProblemeValidation | None:
    kind = error.type
    name = getattr(error, "field_name", "") or ""
    row = getattr(error, "row_number", None)
    cell = getattr(error, "cell", None)
    rows = [row] if row else []
    examples = [str(cell)] if cell not in (None, "") else []
    help_text = _HELP.get(name) or _enum_help(name)
    if kind == "constraint-error":
        constraint = re.search(r'constraint "(\w+)"', error.note or "")
        constraint = constraint.group(1) if constraint else ""
        if constraint == "required":
            return ProblemeValidation(
                name, "obligatoire", BLOQUANT, f"{name} est obligatoire mais vide", f"indiquez {help_text}", rows
            )
        if name == "formations_labels" and _only_schema_typo(str(cell)):
            return ProblemeValidation(
                name,
                "coquille-du-schema",
                AVERTISSEMENT,
                "formations_labels contient « Étapes numériques (La Poste) », que le motif du schéma v1.0.2 écrit sans espace",
                "valeur correcte selon la description du standard : rien à corriger, certains validateurs la refuseront",
                rows,
            )
        if constraint == "maxLength":
            return ProblemeValidation(
                name, "longueur", BLOQUANT, f"{name} est trop long", f"attendu : {help_text}", rows
            )
        if constraint == "unique":
            return ProblemeValidation(
                name,
                "unique",
                BLOQUANT,
                f"{name} en double",
                "donnez une valeur différente à chaque ligne",
                rows,
                examples,
            )
        return ProblemeValidation(
            name,
            constraint or "contrainte",
            BLOQUANT,
            f"{name} n'a pas le format attendu",
            f"attendu : {help_text}",
            rows,
            examples,
        )
    if kind == "type-error":
        what = "une date" if name == "date_maj" else "un nombre"
        return ProblemeValidation(
            name, "type", BLOQUANT, f"{name} n'est pas {what} valide", f"attendu : {help_text}", rows, examples
        )
    if kind == "unique-error":
        return ProblemeValidation(
            name,
            "unique",
            BLOQUANT,
            f"{name} en double",
            "donnez un identifiant différent à chaque lieu",
            rows,
            examples,
        )
    if kind == "primary-key":
        return None  # same rows as the unique-error on id
    if kind == "missing-label":
        return None  # reported by _column_problems
    if kind == "blank-row":
        return ProblemeValidation("", "ligne-vide", AVERTISSEMENT, "ligne vide", "supprimez les lignes vides", rows)
    if kind in ("missing-cell", "extra-cell"):
        fewer = kind == "missing-cell"
        return ProblemeValidation(
            "",
            kind,
            BLOQUANT,
            f"ligne avec {'moins' if fewer else 'plus'} de cellules que de colonnes",
            "vérifiez les séparateurs et les guillemets de ces lignes",
            rows,
        )
    return ProblemeValidation(
        name,
        kind,
        BLOQUANT,
        f"problème de structure du fichier ({kind})",
        "vérifiez que le fichier est un CSV du standard (UTF-8, virgules, guillemets doubles)",
        rows,
    )


def _enum_help(name: str) -> str:
    if name in ENUMS:
        return "des valeurs de la liste du standard séparées par « | » sans espace : " + ", ".join(ENUMS[name])
    return f"une valeur conforme au standard pour {name}"


def _only_schema_typo(cell: str) -> bool:
    items = cell.split(LIST_SEPARATOR)
    return any(i in _SCHEMA_TYPO for i in items) and all(i in _ALLOWED["formations_labels"] for i in items)


def _ranges(rows: list[int]) -> str:
    rows = sorted(set(rows))
    parts, start, prev = [], rows[0], rows[0]
    for row in rows[1:] + [None]:
        if row is not None and row == prev + 1:
            prev = row
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if row is not None:
            start = prev = row
    return ", ".join(parts)
