"""The whole update of a collector's spreadsheet in one call: read, map columns, normalize (hours in free
text, commune and INSEE code, positions), validate against the standard, compare with the national data,
and produce the files to send (`lieux.csv`, `lieux.json`) and the French report (`rapport.xlsx`, `rapport.html`).

Nothing is lost: every row read is a row written, invalid ones with their problems listed.
"""
from __future__ import annotations

import html
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from . import reference
from .communes import attach_communes, code_from_postcode_and_name
from .places import charger_lieux, dans_territoire
from .sources.fichier import read_table
from .sources.geocodage import geocoder
from .standard import io as std_io
from .standard.correspondance import Correspondance, choisir_entete, suggerer
from .standard.fields import ANOMALIES, CODE_COMMUNE, LIGNE_SOURCE
from .standard.horaires_texte import convertir
from .standard.normalize import CHANGEMENT_COLUMNS, normalize
from .standard.rapprochement import Rapprochement, rapprocher
from .standard.validate import AVERTISSEMENT, BLOQUANT, RapportValidation, row_problems, validate_csv

FICHIERS = ("lieux.csv", "lieux.json", "rapport.xlsx", "rapport.html", "correspondance.json")


@dataclass
class ResultatMiseAJour:
    """What `mettre_a_jour` produced. `fichiers` maps each output name to its bytes."""

    nom_fichier: str
    lieux: pd.DataFrame
    correspondance: Correspondance
    changements: pd.DataFrame
    validation: RapportValidation
    problemes_lignes: pd.Series  # per row, the French problems that keep it from the standard
    rapport: list[str]
    rapprochement: Rapprochement | None = None
    fichiers: dict[str, bytes] = field(default_factory=dict)

    @property
    def valide(self) -> bool:
        return self.validation.valid

    @property
    def bloquants(self) -> list:
        return [p for p in self.validation.problemes if p.gravite == BLOQUANT]

    @property
    def avertissements(self) -> list:
        return [p for p in self.validation.problemes if p.gravite == AVERTISSEMENT]

    def ecrire(self, dossier: str | Path) -> list[Path]:
        """Write every output file into `dossier` (created if needed); returns their paths."""
        dossier = Path(dossier)
        dossier.mkdir(parents=True, exist_ok=True)
        chemins = []
        for nom, contenu in self.fichiers.items():
            chemin = dossier / nom
            chemin.write_bytes(contenu)
            chemins.append(chemin)
        return chemins


def mettre_a_jour(
    source: str | Path | bytes,
    nom_fichier: str | None = None,
    *,
    correspondance: Correspondance | None = None,
    feuille: str | None = None,
    territoire=None,
    national: pd.DataFrame | None = None,
    ban: bool | str = False,
    dossier_cache: Path | None = None,
) -> ResultatMiseAJour:
    """Standardize and validate a collector's file of places.

    Parameters
    ----------
    source : path or bytes of the file (CSV, XLSX, JSON, GeoJSON).
    nom_fichier : the file's name (required with bytes), for its format and in messages.
    correspondance : column mapping; suggested from the headers when None.
    feuille : XLSX sheet (default: the first).
    territoire : a `territories.Territoire`; when given, the file's places in it are compared with the
        national places of that territory (`national`, default: the embedded snapshot).
    ban : geocode places without coordinates with the Base Adresse Nationale (see `sources.geocodage`).

    Raises
    ------
    FichierIllisible
        The file cannot be read at all (French message).
    """
    nom = nom_fichier or Path(str(source)).name
    brut = read_table(source, nom, feuille=feuille)
    brut, entetes_en_plus = choisir_entete(brut)
    rapport = [f"{len(brut)} lignes de données lues dans « {nom} »"]
    if entetes_en_plus:
        rapport.append(f"en-tête lu sur la ligne {entetes_en_plus + 1} du tableau (lignes de titre au-dessus ignorées)")
    if correspondance is None:
        correspondance = suggerer([str(c) for c in brut.columns])
    table, notes = correspondance.appliquer(brut)
    rapport += notes

    resultat = normalize(table, f"fichier:{nom}")
    rapport += resultat.rapport
    lieux = resultat.lieux
    changements = [resultat.changements]

    lieux, chg, lignes = _horaires(lieux)
    changements.append(chg)
    rapport += lignes
    avant = lieux[["code_insee", "commune"]].copy()
    lieux = attach_communes(lieux)
    lieux = _communes_canoniques(lieux)
    changements.append(_diff(avant, lieux, {"code_insee": "code INSEE déduit de la commune", "commune": "nom de commune officiel"}))
    geo = geocoder(lieux, ban, dossier_cache=dossier_cache)
    lieux = geo.lieux
    changements.append(geo.changements)
    rapport += geo.rapport

    changements = pd.concat([c for c in changements if len(c)] or [changements[0]], ignore_index=True)
    changements = changements.sort_values("ligne", kind="stable", ignore_index=True)[CHANGEMENT_COLUMNS]
    csv_octets = _csv(lieux)
    validation = _valider(csv_octets)
    problemes = row_problems(lieux)

    rapprochement = None
    if territoire is not None:
        rapprochement, lignes = _comparer(lieux, territoire, national)
        rapport += lignes

    out = ResultatMiseAJour(nom, lieux, correspondance, changements, validation, problemes, rapport, rapprochement)
    out.fichiers = {
        "lieux.csv": csv_octets,
        "lieux.json": _json(lieux),
        "rapport.xlsx": rapport_xlsx(out),
        "rapport.html": rapport_html(out).encode("utf-8"),
        "correspondance.json": correspondance.to_json().encode("utf-8"),
    }
    return out


# --- steps ---------------------------------------------------------------------------------------


def _horaires(lieux: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Free-text hours → OSM where unambiguous; others kept as written and flagged."""
    valeurs = lieux["horaires"].astype(str)
    codes, uniques = pd.factorize(valeurs.to_numpy(dtype=object))
    conversions = [convertir(u) for u in uniques]
    osm = np.array([c.osm or u for c, u in zip(conversions, uniques)], dtype=object)[codes] if len(codes) else np.array([], dtype=object)
    note = np.array([c.note for c in conversions], dtype=object)[codes] if len(codes) else np.array([], dtype=object)
    out = lieux.copy()
    out["horaires"] = osm
    out[ANOMALIES] = _ajouter(out[ANOMALIES], note)
    changees = np.flatnonzero(osm != valeurs.to_numpy(dtype=object))
    chg = pd.DataFrame(
        {
            "ligne": changees + 1,
            "champ": "horaires",
            "avant": valeurs.to_numpy(dtype=object)[changees],
            "apres": osm[changees],
            "regle": "horaires en texte libre convertis au format OSM",
        }
    )
    lignes = []
    if len(changees):
        lignes.append(f"horaires : {len(changees)} lignes en texte libre converties au format OSM opening_hours")
    if (note != "").any():
        lignes.append(
            f"horaires : {int((note != '').sum())} lignes en texte libre non converties (ambiguës) : "
            "à réécrire au format OSM, par exemple « Mo-Fr 09:00-12:00,14:00-17:00 »"
        )
    return out, chg, lignes


def _communes_canoniques(lieux: pd.DataFrame) -> pd.DataFrame:
    """Commune names as the reference writes them, when the name and postcode designate that commune."""
    noms = dict(zip(reference.communes()["code"], reference.communes()["nom"]))
    out = lieux.copy()
    paires = {}
    for cp, nom, code in zip(out["code_postal"], out["commune"], out[CODE_COMMUNE]):
        if code and (cp, nom, code) not in paires:
            officiel = noms.get(code, "")
            paires[(cp, nom, code)] = officiel if officiel and (not nom or code_from_postcode_and_name(cp, nom) == code) else nom
    out["commune"] = [paires.get((cp, nom, code), nom) for cp, nom, code in zip(out["code_postal"], out["commune"], out[CODE_COMMUNE])]
    return out


def _diff(avant: pd.DataFrame, apres: pd.DataFrame, regles: dict[str, str]) -> pd.DataFrame:
    parts = []
    for champ, regle in regles.items():
        a, b = avant[champ].to_numpy(dtype=object), apres[champ].to_numpy(dtype=object)
        lignes = np.flatnonzero(a != b)
        parts.append(pd.DataFrame({"ligne": lignes + 1, "champ": champ, "avant": a[lignes], "apres": b[lignes], "regle": regle}))
    return pd.concat(parts, ignore_index=True)


def _ajouter(anciennes: pd.Series, nouvelles: np.ndarray) -> list[str]:
    return ["; ".join(p for p in (a, b) if p) for a, b in zip(anciennes.fillna("").astype(str), nouvelles)]


def _csv(lieux: pd.DataFrame) -> bytes:
    tampon = io.BytesIO()
    std_io.to_standard_csv(lieux, tampon)
    return tampon.getvalue()


def _json(lieux: pd.DataFrame) -> bytes:
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier) / "lieux.json"
        std_io.to_json(lieux, chemin)
        return chemin.read_bytes()


def _valider(csv_octets: bytes) -> RapportValidation:
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier) / "lieux.csv"
        chemin.write_bytes(csv_octets)
        return validate_csv(chemin)


def _comparer(lieux: pd.DataFrame, territoire, national: pd.DataFrame | None) -> tuple[Rapprochement, list[str]]:
    if national is None:
        national = charger_lieux(territoire, "embarque").lieux
    national = national[dans_territoire(national, territoire)]
    dedans = dans_territoire(lieux, territoire)
    rapprochement = rapprocher(lieux[dedans], national)
    lignes = [f"comparaison avec les données nationales de {territoire.libelle} :", *rapprochement.resume()]
    if (~dedans).any():
        lignes.append(f"{int((~dedans).sum())} lieux du fichier hors du territoire ne sont pas comparés")
    return rapprochement, lignes


# --- the report ---------------------------------------------------------------------------------


def tableau_problemes(resultat: ResultatMiseAJour) -> pd.DataFrame:
    """One row per kind of problem: severity, field, what, rows, how to fix, values read."""
    ordre = sorted(resultat.validation.problemes, key=lambda p: (p.gravite != BLOQUANT, p.champ))
    return pd.DataFrame(
        [(p.gravite, p.champ, p.message, p.lignes_texte, len(p.lignes), p.correction, ", ".join(p.exemples)) for p in ordre],
        columns=["gravité", "champ", "problème", "lignes (fichier lieux.csv)", "nombre de lignes", "correction", "valeurs lues"],
    )


def tableau_lieux(resultat: ResultatMiseAJour) -> pd.DataFrame:
    """Per place: its row, id, name, commune, the problems keeping it from the standard, and the notes."""
    lieux = resultat.lieux
    return pd.DataFrame(
        {
            "ligne": lieux[LIGNE_SOURCE].to_numpy(),
            "id": lieux["id"].to_numpy(),
            "nom": lieux["nom"].to_numpy(),
            "commune": lieux["commune"].to_numpy(),
            "problèmes": resultat.problemes_lignes.map("; ".join).to_numpy(),
            "remarques": lieux[ANOMALIES].to_numpy(),
        }
    )


def _feuilles(resultat: ResultatMiseAJour) -> dict[str, pd.DataFrame]:
    verdict = resultat.validation.resume()[0]
    feuilles = {
        "Synthèse": pd.DataFrame({"synthèse": [verdict, *resultat.rapport]}),
        "Problèmes": tableau_problemes(resultat),
        "Lieux": tableau_lieux(resultat),
        "Changements": resultat.changements,
    }
    r = resultat.rapprochement
    if r is not None:
        feuilles.update(
            {"Nouveaux": r.nouveaux, "Différences": r.differences, "Absents du fichier": r.absents, "Doublons": r.doublons}
        )
    return feuilles


def rapport_xlsx(resultat: ResultatMiseAJour) -> bytes:
    """The report as a workbook: synthesis, problems, places, changes (and comparison sheets). Text cells
    are written as text, never as formulas."""
    tampon = io.BytesIO()
    # xlsxwriter streams rows (constant memory) about five times faster than openpyxl for large reports.
    classeur = xlsxwriter.Workbook(tampon, {"constant_memory": True, "in_memory": True})
    gras = classeur.add_format({"bold": True})
    for titre, table in _feuilles(resultat).items():
        onglet = classeur.add_worksheet(titre)
        for j, colonne in enumerate(table.columns):
            onglet.write_string(0, j, str(colonne), gras)
        for i, ligne in enumerate(table.itertuples(index=False), start=1):
            for j, valeur in enumerate(ligne):
                _ecrire_cellule(onglet, i, j, valeur)
    classeur.close()
    return tampon.getvalue()


def _ecrire_cellule(onglet, i: int, j: int, valeur) -> None:
    if isinstance(valeur, (bool, np.bool_)):
        onglet.write_string(i, j, "oui" if valeur else "non")
    elif isinstance(valeur, (int, np.integer, float, np.floating)):
        if np.isfinite(valeur):
            onglet.write_number(i, j, float(valeur))
    elif valeur is not None and valeur != "":
        onglet.write_string(i, j, ILLEGAL_CHARACTERS_RE.sub("", str(valeur))[:32_000])


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#1e1e1e}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;font-size:.9em}th{background:#eef}
.bloquant{color:#a00;font-weight:bold}.avertissement{color:#8a5a00}.ok{color:#060;font-weight:bold}"""
_MAX_LIGNES_HTML = 2000


def rapport_html(resultat: ResultatMiseAJour) -> str:
    """The report as one self-contained HTML page in French; every value from the file is escaped."""
    e = html.escape
    verdict = resultat.validation.resume()[0]
    classe = "ok" if resultat.valide else "bloquant"
    corps = [
        f"<h1>Rapport de validation : {e(resultat.nom_fichier)}</h1>",
        f"<p class='{classe}'>{e(verdict)}</p>",
        "<p>Les numéros de ligne des problèmes sont ceux du fichier lieux.csv (l'en-tête est la ligne 1).</p>",
        "<h2>Synthèse</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in resultat.rapport) + "</ul>",
    ]
    for titre, table in _feuilles(resultat).items():
        if titre == "Synthèse":
            continue
        corps.append(f"<h2>{e(titre)} ({len(table)})</h2>")
        corps.append(_table_html(table))
    return (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
        f"<title>Rapport de validation – {e(resultat.nom_fichier)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(corps)}</body></html>"
    )


def _table_html(table: pd.DataFrame) -> str:
    if table.empty:
        return "<p>Rien à signaler.</p>"
    e = html.escape
    tete = "".join(f"<th>{e(str(c))}</th>" for c in table.columns)
    lignes = []
    for ligne in table.head(_MAX_LIGNES_HTML).itertuples(index=False):
        cellules = []
        for c, v in zip(table.columns, ligne):
            texte = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            attr = f" class='{texte}'" if c == "gravité" and texte in (BLOQUANT, AVERTISSEMENT) else ""
            cellules.append(f"<td{attr}>{e(texte)}</td>")
        lignes.append("<tr>" + "".join(cellules) + "</tr>")
    suite = (
        f"<p>… {len(table) - _MAX_LIGNES_HTML} lignes de plus dans rapport.xlsx.</p>" if len(table) > _MAX_LIGNES_HTML else ""
    )
    return f"<table><thead><tr>{tete}</tr></thead><tbody>{''.join(lignes)}</tbody></table>{suite}"



def feuilles_classeur(contenu: bytes) -> list[str]:
    """Sheet names of an XLSX file (empty list for any other or unreadable file)."""
    if not contenu.startswith(b"PK\x03\x04"):
        return []
    from openpyxl import load_workbook

    try:
        classeur = load_workbook(io.BytesIO(contenu), read_only=True)
    except Exception:  # noqa: BLE001 - an unreadable workbook is reported when it is read
        return []
    try:
        return list(classeur.sheetnames)
    finally:
        classeur.close()
