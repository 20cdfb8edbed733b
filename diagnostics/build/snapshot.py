"""The embedded national places snapshot (`data/lieux.parquet`) from every real place file of `../shared/data`.

Each file is normalized to the canonical places frame, attached to the 2026 communes, de-duplicated across
and within files, and written with its counts and method to the places section of `data/PROVENANCE.md`.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..communes import attach_communes, commune_inner_points
from ..standard.doublons import candidats_doublons, fusionner_doublons
from ..standard.fields import ANOMALIES, CODE_COMMUNE, ORIGINE, POSITION_APPROX, canonical_columns, to_places_frame
from ..standard.normalize import normalize
from . import aidants_connect, france_services

SNAPSHOT_FILE = "lieux.parquet"
PROVENANCE_FILE = "PROVENANCE.md"
DEBUT, FIN = "<!-- lieux:debut -->", "<!-- lieux:fin -->"
NOTE_POSITION_COMMUNE = "position approximative : point intérieur de la commune (la source ne donne pas de coordonnées)"


@dataclass(frozen=True)
class SourceFichier:
    """One raw file of the snapshot and where it comes from."""

    origine: str
    chemin: str  # relative to ../shared/data
    depot: str  # repository and commit, as shown in provenance
    licence: str
    lire: Callable[[Path], tuple[pd.DataFrame | list[dict], int, int]]  # → (raw rows, rows read, rows left out)


def _json_rows(path: Path) -> tuple[list[dict], int, int]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return rows, len(rows), 0


def _geojson_rows(path: Path) -> tuple[list[dict], int, int]:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    rows = []
    for feature in features:
        row = dict(feature.get("properties") or {})
        coordinates = (feature.get("geometry") or {}).get("coordinates") or []
        if len(coordinates) == 2 and not (row.get("latitude") and row.get("longitude")):
            row["longitude"], row["latitude"] = coordinates
        rows.append(row)
    return rows, len(features), 0


def _france_services_rows(path: Path) -> tuple[pd.DataFrame, int, int]:
    table = france_services.read(path)
    return france_services.to_records(table), len(table), 0


def _aidants_connect_rows(path: Path) -> tuple[pd.DataFrame, int, int]:
    table = aidants_connect.read(path)
    records, inactive = aidants_connect.to_records(table)
    return records, len(table), inactive


_LO = "Licence Ouverte 2.0 (LICENSE.md du dépôt)"
SOURCES = (
    SourceFichier(
        "CNFS 2022",
        "places/client-application/9f64eee/lieux-de-mediation-numerique.cnfs.json",
        "anct-cartographie-nationale/client-application @ 9f64eee (2022-07-20)",
        _LO,
        _json_rows,
    ),
    SourceFichier(
        "Hinaura 2022",
        "places/client-application/db81790/source.json",
        "anct-cartographie-nationale/client-application @ db81790 (2023-07-24, contenu de 2022-12)",
        _LO,
        _json_rows,
    ),
    SourceFichier(
        "Hub du Sud 2023",
        "places/client-application/8b2dea5/20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
        "anct-cartographie-nationale/client-application @ 8b2dea5 (2024-09-12)",
        _LO,
        _json_rows,
    ),
    SourceFichier(
        "Charente 2023",
        "places/client-application/926d816/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
        "anct-cartographie-nationale/client-application @ 926d816 (2024-09-12)",
        _LO,
        _json_rows,
    ),
    SourceFichier(
        "Portrea Nord–Pas-de-Calais 2023",
        "places/portrea/2111302/locations.geojson",
        "Assembleurs/portrea @ 2111302 (2024-09-27)",
        "aucune licence indiquée par le dépôt ; données des hubs au format du standard",
        _geojson_rows,
    ),
    SourceFichier(
        "France Services 2023",
        "extra/france_services_2023_portrea.csv",
        "Assembleurs/portrea, data/france-services/liste-fs.csv @ 4e22be2 (2023-07-07)",
        "aucune licence indiquée par le dépôt ; liste nationale publiée par l'ANCT en données ouvertes",
        _france_services_rows,
    ),
    SourceFichier(
        aidants_connect.ORIGINE,
        "places/inclusion-numerique/38263aa/aidants-connect_structures.csv",
        "inclusion-numerique/inclusion-numerique @ 38263aa (2024-02-22)",
        "code du dépôt sous AGPL-3.0 ; fichier exporté d'Aidants Connect (données publiques)",
        _aidants_connect_rows,
    ),
)


def _normalized(raw: pd.DataFrame | list[dict], origine: str) -> pd.DataFrame:
    """normalize(), keeping the converters' own notes (an `anomalies` column is not a standard field)."""
    frame = raw if isinstance(raw, pd.DataFrame) else pd.DataFrame.from_records(raw)
    notes = frame[ANOMALIES] if ANOMALIES in frame else pd.Series([""] * len(frame))
    lieux = normalize(frame.drop(columns=[ANOMALIES], errors="ignore"), origine).lieux
    if len(lieux) != len(frame):
        raise RuntimeError(f"La normalisation de « {origine} » a changé le nombre de lignes : corrigez normalize().")
    lieux[ANOMALIES] = _join_notes(notes.to_numpy(dtype=object), lieux[ANOMALIES].to_numpy(dtype=object))
    return lieux


def _join_notes(*columns) -> list[str]:
    return ["; ".join(n for n in notes if n) for notes in zip(*columns)]


def _place_at_commune_points(places: pd.DataFrame, origine: str) -> pd.DataFrame:
    """Rows of `origine` without coordinates → their commune's inner point, flagged approximate."""
    todo = (places[ORIGINE] == origine) & places["latitude"].isna() & (places[CODE_COMMUNE] != "")
    if not todo.any():
        return places
    points = commune_inner_points(places.loc[todo, CODE_COMMUNE].tolist())
    places = places.copy()
    places.loc[todo, "latitude"] = points["latitude"].to_numpy()
    places.loc[todo, "longitude"] = points["longitude"].to_numpy()
    placed = todo & places["latitude"].notna()
    places.loc[placed, POSITION_APPROX] = True
    notes = [NOTE_POSITION_COMMUNE] * int(placed.sum())
    places.loc[placed, ANOMALIES] = _join_notes(places.loc[placed, ANOMALIES], notes)
    return to_places_frame(places)


def _without_commune_point_note(notes: str) -> str:
    return "; ".join(n for n in notes.split("; ") if n and n != NOTE_POSITION_COMMUNE)


def _unique_ids(places: pd.DataFrame) -> pd.DataFrame:
    """Two files may use the same local id ("0", "12"): such ids are prefixed with their origin."""
    clash = places["id"].duplicated(keep=False) & (places.groupby("id")[ORIGINE].transform("nunique") > 1)
    if clash.any():
        places = places.copy()
        old = places.loc[clash, "id"]
        places.loc[clash, "id"] = places.loc[clash, ORIGINE] + ":" + old
        notes = [f"identifiant « {i} » aussi utilisé par une autre source : préfixé par l'origine" for i in old]
        places.loc[clash, ANOMALIES] = _join_notes(places.loc[clash, ANOMALIES], notes)
    return places


def load_sources(shared: Path) -> tuple[pd.DataFrame, list[dict]]:
    """Every source normalized, attached to communes and placed: one frame before de-duplication, and the
    per-source counts (rows read, left out, kept)."""
    frames, stats = [], []
    for source in SOURCES:
        raw, read, left_out = source.lire(shared / "data" / source.chemin)
        lieux = _normalized(raw, source.origine)
        frames.append(lieux)
        stats.append({"source": source, "lus": read, "ecartes": left_out, "gardes": len(lieux)})
    places = to_places_frame(pd.concat(frames, ignore_index=True))
    places = attach_communes(places)
    places = _place_at_commune_points(places, aidants_connect.ORIGINE)
    return _unique_ids(places), stats


def build(shared: Path, data: Path) -> dict[str, int]:
    """Write `data/lieux.parquet` and the places section of `data/PROVENANCE.md`; return the counts."""
    places, stats = load_sources(shared)
    pairs = candidats_doublons(places)
    dedup, groups = fusionner_doublons(places, pairs)
    merged = len(groups) - groups["groupe"].nunique()
    # Nothing lost: every row read and kept is either in the snapshot or merged into one of its places.
    if len(places) != len(dedup) + merged:
        raise RuntimeError("Le dédoublonnage a perdu ou inventé des lignes : l'instantané n'est pas écrit.")
    if not dedup["id"].is_unique:
        raise RuntimeError("Identifiants en double dans l'instantané : il n'est pas écrit.")

    # A commune point replaced by a merged row's precise position is no longer worth a note.
    precise = ~dedup[POSITION_APPROX]
    dedup.loc[precise, ANOMALIES] = dedup.loc[precise, ANOMALIES].map(_without_commune_point_note)
    dedup = dedup.sort_values([CODE_COMMUNE, "nom", "id"], kind="stable", ignore_index=True)
    dedup = dedup[[*canonical_columns(), "geometry"]]
    data.mkdir(parents=True, exist_ok=True)
    dedup.to_parquet(data / SNAPSHOT_FILE, compression="zstd", index=False)
    _write_provenance(data / PROVENANCE_FILE, _provenance_section(places, pairs, groups, dedup, stats))
    return {"lieux_avant_dedoublonnage": len(places), "lieux": len(dedup), "lieux_fusionnes": merged}


# --- provenance ------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _provenance_section(places, pairs, groups, dedup, stats) -> str:
    absorbed = groups[~groups["representant"]]
    lines = [
        "Fichier `lieux.parquet` (GeoParquet zstd, WGS84) : les colonnes du standard v1.0.2 dans l'ordre du schéma puis "
        "`origine`, `position_approximative`, `code_commune_2026`, `anomalies`, `ligne_source` ; trié par commune puis nom. "
        "Reconstruit par `make data` (`diagnostics/build/snapshot.py`).",
        "",
        "> **Instantané partiel et daté (2022–2024).** Il rassemble les seuls fichiers publics de lieux qui ont pu être "
        "récupérés : un fichier national des permanences de conseillers numériques (2022), la liste nationale des "
        "France Services (2023), les structures Aidants Connect (2024) et quatre territoires (Auvergne-Rhône-Alpes, "
        "Provence-Alpes-Côte d'Azur, Charente, Nord et Pas-de-Calais). Il ne remplace pas la cartographie nationale "
        "(environ 18 000 lieux aujourd'hui). Pour les données actuelles, chargez l'API nationale, par exemple "
        "`diagnostic lieux --territoire dep:29 --source api`, ou choisissez la source « API nationale » dans l'application.",
        "",
        "| origine | fichier (`../shared/data/`) | dépôt @ commit | licence indiquée | lignes lues | écartées | gardées "
        "| position approximative | sans coordonnées | en doublon | absorbées par la fiche d'une autre ligne "
        "| fiche retenue dans l'instantané |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for stat in stats:
        source = stat["source"]
        rows = places[places[ORIGINE] == source.origine]
        grouped = int((groups[ORIGINE] == source.origine).sum())
        lost = int((absorbed[ORIGINE] == source.origine).sum())
        lines.append(
            f"| {source.origine} | `{source.chemin}` | {source.depot} | {source.licence} | {_n(stat['lus'])} "
            f"| {_n(stat['ecartes'])} | {_n(stat['gardes'])} | {_n(int(rows[POSITION_APPROX].sum()))} "
            f"| {_n(int(rows['latitude'].isna().sum()))} | {_n(grouped)} | {_n(lost)} | {_n(stat['gardes'] - lost)} |"
        )
    n_groups = groups["groupe"].nunique()
    origins_per_group = groups.groupby("groupe")[ORIGINE].nunique()
    fs = places[places[ORIGINE] == france_services.ORIGINE]
    fs_failed = fs[ANOMALIES].str.contains("horaires non convertis", regex=False)
    lines += [
        "",
        f"Total : {_n(len(places))} lignes gardées avant dédoublonnage → **{_n(len(dedup))} lieux** dans l'instantané ; "
        f"{_n(len(groups) - n_groups)} lignes absorbées dans {_n(n_groups)} groupes de doublons "
        f"({_n(int((origins_per_group > 1).sum()))} groupes réunissent plusieurs sources). "
        "Contrôle à la construction : lignes gardées = lieux + lignes absorbées. « En doublon » compte les lignes "
        "d'une source qui appartiennent à un groupe ; la fiche retenue d'un groupe est la plus récente, souvent "
        "celle d'Aidants Connect (2024), complétée par les autres (position précise, horaires, dispositifs…).",
        "",
        "Remarques par source :",
        "- Chaque ligne garde dans `source` l'organisme qui l'a collectée ; `origine` nomme le fichier (après fusion, "
        "toutes les origines du groupe séparées par `|`).",
        "- Hub du Sud : le fichier converti au standard v1 par l'ANCT (commit 8b2dea5) est utilisé ; le fichier v0 du "
        "commit f855d84 contient les mêmes 646 lieux et n'est donc pas repris.",
        "- Les structures d'accueil des conseillers numériques 2023 "
        "(`extra/conseillers_numeriques_structures_2023_portrea.json`) ne sont pas des lieux : ce sont des employeurs, "
        "sans adresse ni coordonnées, avec des effectifs par structure ; elles ne sont pas reprises.",
        f"- France Services : `services` = « Aide aux démarches administratives » (la mission des France Services), "
        f"`dispositif_programmes_nationaux` = « France Services », `typologie` = RFS, pivot inconnu (le fichier n'a pas de "
        f"SIRET), `itinerance` Itinérant quand `itinerance` = Oui ou `format_fs_anct` = Mobile, `date_maj` = date de "
        f"labellisation (ou {france_services.DATE_INSTANTANE}, date du fichier, quand elle manque : "
        f"{_n(int(fs[ANOMALIES].str.contains('date de labellisation absente', regex=False).sum()))} ligne(s)), commentaire "
        f"en `presentation_detail`. Horaires « 09:00 - 12:00 / 13:30 - 17:00 » par jour convertis au format OSM "
        f"opening_hours et validés : {_n(int((fs['horaires'] != '').sum()))} convertis, "
        f"{_n(int(((fs['horaires'] == '') & ~fs_failed).sum()))} sans horaires dans le fichier, "
        f"{_n(int(fs_failed.sum()))} non convertible(s) (laissés vides, motif dans `anomalies`) ; les créneaux vides "
        f"« 00:00 - 00:00 » sont ignorés, les créneaux répétés ou chevauchants fusionnés.",
        f"- Aidants Connect : structures actives seulement (les inactives sont comptées en « écartées ») ; "
        f"`dispositif_programmes_nationaux` = Aidants Connect (+ France Services quand la structure a le label), "
        f"`services` = « Aide aux démarches administratives », pivot = SIRET, `date_maj` = {aidants_connect.DATE_MAJ} "
        f"(date du commit du fichier, l'export n'a pas de date). Sans coordonnées dans l'export : chaque structure est "
        f"placée au point intérieur de sa commune (`position_approximative` vrai). Le code postal et la ville répétés "
        f"dans l'adresse en sont retirés ; une « Autre adresse » va en `presentation_detail`.",
        "",
        "Méthode de dédoublonnage (`diagnostics/standard/doublons.py`) : les lieux ne sont comparés qu'à ceux de la même "
        "commune (code 2026, sinon code INSEE déclaré, sinon code postal et nom de commune). Une paire est un doublon si "
        "les deux fiches portent le même identifiant de réseau dans leur `id` (France Services, Aidants Connect, "
        "permanence de conseiller numérique, tel que l'ANCT les écrit), ou le même SIRET à la même adresse (similarité "
        "0,8 au moins, ou moins de 200 m), ou si le score pondéré nom 0,5 / adresse 0,3 / distance 0,2 atteint 0,8 avec "
        "des noms semblables à 0,5 au moins. Deux identifiants France Services ou Aidants Connect différents ne sont "
        "jamais fusionnés (chaque label, antenne ou bus, chaque structure Aidants Connect compte à part, même quand elle "
        "déclare l'adresse de son siège). Noms et adresses sont comparés sans accents, casse ni mots vides, "
        "abréviations de voies développées, nom de la commune retiré du nom du lieu (similarité de trigrammes). La "
        "distance compte pleinement sous 30 m et plus du tout à 200 m ; elle est ignorée quand une position est "
        "approximative, ou quand nom et adresse concordent à 0,9 (géocodages divergents). Les paires sont réunies en "
        "groupes ; chaque groupe garde la fiche la plus récente (puis la plus complète, puis la mieux placée), l'union "
        "des champs à valeurs multiples (services, dispositifs…), les champs vides complétés par les autres fiches, la "
        "position la plus précise, et la liste des fiches fusionnées dans `anomalies`.",
        f"Paires retenues : {_n(len(pairs))}.",
    ]
    return "\n".join(lines)


def _write_provenance(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"{DEBUT}\n{FIN}\n"
    if DEBUT not in text or FIN not in text:
        text = text.rstrip("\n") + f"\n\n{DEBUT}\n{FIN}\n"
    head, rest = text.split(DEBUT, 1)
    _, tail = rest.split(FIN, 1)
    path.write_text(f"{head}{DEBUT}\n{section}\n{FIN}{tail}", encoding="utf-8")
