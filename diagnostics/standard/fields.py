"""The standard's fields (v1.0.2, read from the packaged schema.json) and the canonical places frame.

Every source (embedded snapshot, national API, dataspace, file) ends as one *places frame*: a
GeoDataFrame (EPSG:4326, Point or None) whose columns are the 32 standard fields in schema order,
followed by the internal columns below. List fields hold `|`-joined strings exactly as in the
standard's CSV; latitude/longitude are floats (NaN when missing); every other field is a string
("" when empty). Keeping the standard's own representation means a frame round-trips to the
interchange CSV without any conversion.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

SCHEMA_PATH = Path(__file__).with_name("schema.json")
TYPOLOGIES_PATH = Path(__file__).with_name("typologies_de_structures.csv")

# The standard's convention for an unknown SIRET.
PIVOT_INCONNU = "00000000000000"
LIST_SEPARATOR = "|"

# Internal columns, after the standard's. Names are the users' words.
ORIGINE = "origine"  # which source / file the row came from (e.g. "CNFS 2022", "api", "fichier:x.csv")
POSITION_APPROX = "position_approximative"  # True when the point is a commune inner point, not the address
CODE_COMMUNE = "code_commune_2026"  # 2026 INSEE code of the commune the place belongs to ("" if unknown)
ANOMALIES = "anomalies"  # "; "-joined French notes on what was fixed or could not be read ("" if none)
LIGNE_SOURCE = "ligne_source"  # 1-based row number in the source, for reports
INTERNAL_COLUMNS = [ORIGINE, POSITION_APPROX, CODE_COMMUNE, ANOMALIES, LIGNE_SOURCE]


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def field_names() -> tuple[str, ...]:
    """The 32 v1 fields in the CSV column order of the schema."""
    return tuple(f["name"] for f in schema()["fields"])


@lru_cache(maxsize=1)
def required_fields() -> tuple[str, ...]:
    return tuple(f["name"] for f in schema()["fields"] if f.get("constraints", {}).get("required"))


NUMBER_FIELDS = ("latitude", "longitude")

# Closed vocabularies of v1 (exact strings). Kept here rather than parsed from the schema's regex
# patterns because formations_labels' pattern misspells one value (see VERSION.md of the standard).
ENUMS: dict[str, tuple[str, ...]] = {
    "services": (
        "Aide aux démarches administratives",
        "Maîtrise des outils numériques du quotidien",
        "Insertion professionnelle via le numérique",
        "Utilisation sécurisée du numérique",
        "Parentalité et éducation avec le numérique",
        "Loisirs et créations numériques",
        "Compréhension du monde numérique",
        "Accès internet et matériel informatique",
        "Acquisition de matériel informatique à prix solidaire",
    ),
    "publics_specifiquement_adresses": ("Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes"),
    "prise_en_charge_specifique": (
        "Surdité",
        "Handicaps moteurs",
        "Handicaps mentaux",
        "Illettrisme",
        "Langues étrangères (anglais)",
        "Langues étrangères (autres)",
        "Déficience visuelle",
    ),
    "frais_a_charge": ("Gratuit", "Gratuit sous condition", "Payant"),
    "itinerance": ("Itinérant", "Fixe"),
    "dispositif_programmes_nationaux": (
        "Aidants Connect",
        "Bibliothèques numérique de référence",
        "Certification PIX",
        "Conseillers numériques",
        "Emmaüs Connect",
        "France Services",
        "Grande école du numérique",
        "La Croix Rouge",
        "Point d'accès numérique CAF",
        "Promeneurs du net",
        "Relais numérique (Emmaüs Connect)",
    ),
    "formations_labels": (
        "Formé à « Mon Espace Santé »",
        "Formé à « DUPLEX » (illettrisme)",
        "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        "Collectif ressources et acteurs réemploi (Normandie)",
        "Étapes numériques (La Poste)",
        "Fabriques de Territoire",
        "Les Éclaireurs du numérique (Drôme)",
        "Mes Papiers (Métropole de Lyon)",
        "ORDI 3.0",
        "SUD LABS (PACA)",
    ),
    "modalites_acces": (
        "Se présenter",
        "Téléphoner",
        "Contacter par mail",
        "Prendre un RDV en ligne",
        "Ce lieu n'accueille pas de public",
        "Envoyer un mail avec une fiche de prescription",
    ),
    "modalites_accompagnement": (
        "En autonomie",
        "Accompagnement individuel",
        "Dans un atelier collectif",
        "À distance",
    ),
}

# Free `|` lists (no closed vocabulary).
FREE_LIST_FIELDS = ("typologie", "courriels", "site_web", "autres_formations_labels")
LIST_FIELDS = tuple(ENUMS) + FREE_LIST_FIELDS


@lru_cache(maxsize=1)
def typologie_labels() -> dict[str, str]:
    """Structure type code → French label (data·inclusion list, plus the ANCT library's additions)."""
    table = pd.read_csv(TYPOLOGIES_PATH, dtype=str).fillna("")
    labels = dict(zip(table["value"], table["label"]))
    labels.setdefault("FABRIQUE", "Fabrique de territoire")
    labels.setdefault("MDH", "Maison de l'habitat")
    labels.setdefault("RELAIS_LECTURE", "Relais lecture")
    labels.setdefault("PE", "Pôle emploi (ancien code, aujourd'hui France Travail)")
    return labels


def canonical_columns() -> list[str]:
    return [*field_names(), *INTERNAL_COLUMNS]


def split_list(value: str) -> list[str]:
    """A `|`-joined standard cell → its values (empty cell → [])."""
    if not isinstance(value, str) or not value:
        return []
    return [v for v in value.split(LIST_SEPARATOR) if v]


def empty_places() -> gpd.GeoDataFrame:
    """A places frame with no rows and every canonical column."""
    return to_places_frame(pd.DataFrame(columns=canonical_columns()))


def to_places_frame(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Coerce a frame holding the canonical columns (missing ones are added empty) to the contract.

    Geometry is rebuilt from latitude/longitude; a missing coordinate (NaN, or the export's 0,0) gives
    no geometry.
    """
    out = pd.DataFrame(index=range(len(frame)))
    frame = frame.reset_index(drop=True)
    for name in field_names():
        if name in NUMBER_FIELDS:
            out[name] = pd.to_numeric(frame[name], errors="coerce") if name in frame else float("nan")
        else:
            col = frame[name] if name in frame else pd.Series([""] * len(frame))
            out[name] = col.astype(object).where(col.notna(), "").astype(str)
    out[ORIGINE] = frame[ORIGINE].fillna("").astype(str) if ORIGINE in frame else ""
    out[POSITION_APPROX] = frame[POSITION_APPROX].fillna(False).astype(bool) if POSITION_APPROX in frame else False
    out[CODE_COMMUNE] = frame[CODE_COMMUNE].fillna("").astype(str) if CODE_COMMUNE in frame else ""
    out[ANOMALIES] = frame[ANOMALIES].fillna("").astype(str) if ANOMALIES in frame else ""
    out[LIGNE_SOURCE] = (
        pd.to_numeric(frame[LIGNE_SOURCE], errors="coerce").fillna(0).astype("int64")
        if LIGNE_SOURCE in frame
        else pd.Series(range(1, len(frame) + 1), dtype="int64")
    )
    lat, lon = out["latitude"], out["longitude"]
    missing = lat.isna() | lon.isna() | ((lat == 0) & (lon == 0))
    out.loc[missing, ["latitude", "longitude"]] = float("nan")
    points = gpd.points_from_xy(out["longitude"], out["latitude"])
    geometry = gpd.GeoSeries(points, crs="EPSG:4326")
    geometry[missing.to_numpy()] = None
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")
