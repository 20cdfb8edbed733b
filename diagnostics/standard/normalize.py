"""Normalize any places table (standard v1, legacy v0 or a mix of both) to the canonical places frame.

Every change is recorded (row, field, before, after, rule); what a person must know about a row goes to
its `anomalies`, and a short French summary to `rapport`. Each transformation runs once per distinct
value, so 20,000 rows normalize in about two seconds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from . import cellules, regles, v0, vocabulaire
from .fields import (
    ANOMALIES,
    CODE_COMMUNE,
    LIGNE_SOURCE,
    LIST_FIELDS,
    NUMBER_FIELDS,
    ORIGINE,
    PIVOT_INCONNU,
    POSITION_APPROX,
    field_names,
    required_fields,
    to_places_frame,
)

CHANGEMENT_COLUMNS = ["ligne", "champ", "avant", "apres", "regle"]


@dataclass
class Normalisation:
    """Result of `normalize`: the canonical frame, every change made, and a French summary."""

    lieux: gpd.GeoDataFrame
    changements: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHANGEMENT_COLUMNS))
    rapport: list[str] = field(default_factory=list)

    @property
    def champs_v0(self) -> frozenset[str]:
        """Fields of which some values were converted from v0 (only as precise as the v0 values were)."""
        regles_v0 = self.changements["regle"].astype(str).str.contains(vocabulaire.CONVERSION_V0, regex=False)
        return frozenset(self.changements.loc[regles_v0, "champ"])


def normalize(raw: pd.DataFrame | list[dict], origine: str) -> Normalisation:
    """Normalize a raw places table to the canonical places frame.

    Parameters
    ----------
    raw : DataFrame or list of dict
        Rows as read from a file or an API: v1, v0 or mixed column names; any cell type (str, number,
        list, JSON array, nested address dict).
    origine : str
        Written to the `origine` column and used to build ids for rows without one.

    Returns
    -------
    Normalisation
        One canonical row per input row, in the same order (`ligne_source` = 1-based input row).
    """
    table = cellules.as_frame(raw)
    headers, columns = cellules.flatten_nested_address(table)
    texts = [cellules.column_text(col) for col in columns]
    roles, rapport = cellules.assign_roles(headers)
    run = _Run(len(table))

    by_role: dict[str, list[pd.Series]] = {}
    # Exact names first, so a v1 `courriels` wins over a v0 `courriel` when a file has both.
    for i in sorted(range(len(roles)), key=lambda i: headers[i] != roles[i]):
        if roles[i]:
            by_role.setdefault(roles[i], []).append(texts[i])
    sources = {
        role: cellules.join_lists(cols) if role in LIST_FIELDS or role in cellules.GROUP_ROLES else cellules.coalesce(cols)
        for role, cols in by_role.items()
    }
    empty = pd.Series([""] * len(table), dtype=object)

    for name, rule in regles.SCALAR_RULES.items():
        run.apply(name, sources.get(name, empty), rule)
    telephone_context = sources.get("telephone", empty) + regles.CONTEXT + run.out["code_postal"].str[:3]
    run.apply("telephone", telephone_context, regles.telephone, before=sources.get("telephone", empty))
    _free_lists(run, sources, empty)
    _autres_labels(run, sources, _value_groups(run, sources, empty), empty)
    _coordinates(run, sources.get("latitude", empty), sources.get("longitude", empty))
    _resume_overflow(run, sources.get("presentation_resume", empty))
    _ids(run, origine)
    _required(run)

    frame = pd.DataFrame({name: run.out[name] for name in field_names()})
    frame[ORIGINE] = origine
    frame[POSITION_APPROX] = False
    frame[CODE_COMMUNE] = ""
    frame[ANOMALIES] = run.anomalies()
    frame[LIGNE_SOURCE] = np.arange(1, len(table) + 1, dtype="int64")
    lieux = to_places_frame(frame)
    changements = run.changements()
    rapport += _summary(lieux, changements, run.counts)
    return Normalisation(lieux=lieux, changements=changements, rapport=rapport)


class _Run:
    def __init__(self, n: int):
        self.n = n
        self.out: dict[str, pd.Series] = {}
        self.before: dict[str, pd.Series] = {}
        self.shown: dict[str, pd.Series] = {}
        self.rules: dict[str, np.ndarray] = {}
        self.notes: list[np.ndarray] = []
        self.counts: Counter = Counter()
        self.extra_changes: list[pd.DataFrame] = []

    def apply(self, name: str, values: pd.Series, rule: regles.Rule, before: pd.Series | None = None) -> None:
        """Run a per-value rule on a field and keep its output, rules and notes."""
        new, why, note = _per_value(values, _blanks_first(rule))
        self.set(name, new, why, values if before is None else before)
        self.note(note)

    def set(self, name: str, new, why, before: pd.Series, shown: pd.Series | None = None) -> None:
        """Keep a field's output; a change is a difference from `before`, reported as `shown`."""
        self.out[name] = pd.Series(np.asarray(new, dtype=object), dtype=object)
        self.before[name] = before
        self.shown[name] = before if shown is None else shown
        self.rules[name] = np.array(np.broadcast_to(np.asarray(why, dtype=object), (self.n,)))

    def note(self, notes) -> None:
        notes = np.asarray(notes, dtype=object)
        if notes.size and (notes != "").any():
            self.notes.append(notes)

    def anomalies(self) -> np.ndarray:
        if not self.notes:
            return np.full(self.n, "", dtype=object)
        stacked = np.vstack(self.notes).T
        return np.array(["; ".join(n for n in row if n) for row in stacked], dtype=object)

    def changements(self) -> pd.DataFrame:
        parts = []
        for name in field_names():
            if name in NUMBER_FIELDS or name not in self.out:
                continue
            before, after = self.before[name].to_numpy(dtype=object), self.out[name].to_numpy(dtype=object)
            changed = np.flatnonzero(before != after)
            if changed.size:
                rules = self.rules[name][changed]
                parts.append(
                    pd.DataFrame(
                        {
                            "ligne": changed + 1,
                            "champ": name,
                            "avant": self.shown[name].to_numpy(dtype=object)[changed],
                            "apres": after[changed],
                            "regle": np.where(rules == "", "valeur nettoyée", rules),
                        }
                    )
                )
        parts += self.extra_changes
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in CHANGEMENT_COLUMNS})
        frame = pd.concat(parts, ignore_index=True)
        return frame.sort_values(["ligne"], kind="stable", ignore_index=True)[CHANGEMENT_COLUMNS]


def _blanks_first(rule: regles.Rule) -> regles.Rule:
    def wrapped(value: str) -> tuple[str, str, str]:
        if value.strip().lower() in regles.BLANK_MARKERS:
            return rule("")[0], "marqueur de valeur vide retiré", ""
        return rule(value)

    return wrapped


def _per_value(values: pd.Series, rule: Callable[[str], tuple]) -> list[np.ndarray]:
    """Run `rule` once per distinct value; one array per element of the tuples it returns."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    results = [rule(u) for u in uniques]
    if not results:
        return [np.array([], dtype=object) for _ in rule("")]
    return [np.array(x, dtype=object)[codes] for x in zip(*results)]


def _free_lists(run: _Run, sources: dict[str, pd.Series], empty: pd.Series) -> None:
    run.apply("typologie", sources.get("typologie", empty), regles.typologie)
    run.apply("courriels", sources.get("courriels", empty), regles.courriels)
    run.apply("site_web", sources.get("site_web", empty), regles.site_web)


def _value_groups(run: _Run, sources: dict[str, pd.Series], empty: pd.Series) -> pd.Series:
    """Enum fields, v0 columns redistributed; returns labels without v1 equivalent (for autres)."""
    extra_labels = empty
    for group, (roles, targets) in v0.VALUE_GROUPS.items():
        present = [role for role in roles if role in sources]
        values = {t: [] for t in targets}
        rules = []
        for role in present:
            *joined, extra, why, note = _per_value(sources[role], vocabulaire.group_rule(group, role))
            for target, column in zip(targets, joined):
                values[target].append(pd.Series(column, dtype=object))
            extra_labels = cellules.join_lists([extra_labels, pd.Series(extra, dtype=object)])
            rules.append(why)
            run.note(note)
        why = vocabulaire.merge_text(rules, ", ") if rules else np.full(run.n, "", dtype=object)
        for target in targets:
            combined = cellules.join_lists(values[target]) if values[target] else empty
            if len(values[target]) > 1:
                combined = pd.Series(_per_value(combined, vocabulaire.dedupe_list)[0], dtype=object)
            shown = _before_group(target, present, targets, sources, empty)
            run.set(target, combined, why, sources.get(target, empty), shown)
    return extra_labels


def _before_group(target, present, targets, sources, empty) -> pd.Series:
    """What a person would see as the previous value: the v1 column, plus labelled v0 columns."""
    parts = [sources[target]] if target in present else []
    for role in present:
        if role not in targets:
            text = sources[role]
            parts.append(pd.Series(np.where(text != "", role + " : " + text, ""), dtype=object))
    return pd.Series(vocabulaire.merge_text(parts, " ; "), dtype=object) if parts else empty


def _autres_labels(run: _Run, sources: dict[str, pd.Series], extra: pd.Series, empty: pd.Series) -> None:
    before = sources.get(v0.AUTRES_LABELS, empty)
    run.apply(v0.AUTRES_LABELS, cellules.join_lists([before, extra]), regles.autres, before=before)
    moved = (extra != "").to_numpy()
    run.rules[v0.AUTRES_LABELS][moved] = "labels v0 sans équivalent v1 ajoutés"


def _number(text: pd.Series, name: str, limit: float) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Text → float (decimal comma accepted); unreadable or out of range → NaN with a note."""
    clean = text.str.strip().str.replace(",", ".", regex=False)
    clean = clean.where(~clean.str.lower().isin(regles.BLANK_MARKERS), "")
    number = pd.to_numeric(clean, errors="coerce").astype(float)
    unreadable = (clean != "") & number.isna()
    out_of_range = number.notna() & ~(number.abs() <= limit)
    number = number.where(~out_of_range)
    notes = np.where(unreadable, f"{name} illisible : « " + text + " »", "")
    notes = np.where(out_of_range, f"{name} hors limites : « " + text + " »", notes)
    comma = (text.str.contains(",", regex=False) & number.notna()).to_numpy()
    return number, notes.astype(object), comma


def _coordinates(run: _Run, lat_text: pd.Series, lon_text: pd.Series) -> None:
    lat, lat_notes, lat_comma = _number(lat_text, "latitude", 90)
    lon, lon_notes, lon_comma = _number(lon_text, "longitude", 180)
    # Metropolitan points typed the wrong way round; overseas boxes do not overlap this one.
    swapped = (lat.between(-5.5, 10) & lon.between(41, 51.5)).to_numpy()
    lat, lon = lat.where(~swapped, lon), lon.where(~swapped, lat)
    zero = ((lat == 0) & (lon == 0)).to_numpy()
    lat, lon = lat.where(~zero), lon.where(~zero)
    # A point needs both; the contract drops a lone coordinate, so say so here.
    lone_lat, lone_lon = (lat.notna() & lon.isna()).to_numpy(), (lon.notna() & lat.isna()).to_numpy()
    lat, lon = lat.where(~lone_lat), lon.where(~lone_lon)
    run.out["latitude"], run.out["longitude"] = lat, lon
    run.note(lat_notes)
    run.note(lon_notes)
    run.note(np.where(swapped, "latitude et longitude inversées, remises dans l'ordre", ""))
    run.note(np.where(lone_lat | lone_lon, "latitude ou longitude manquante : position ignorée", ""))
    fields = (
        ("latitude", lat_text, lat, lat_comma, lat_notes, lone_lat),
        ("longitude", lon_text, lon, lon_comma, lon_notes, lone_lon),
    )
    for name, before, after, comma, notes, lone in fields:
        reasons = {
            "virgule décimale remplacée par un point": comma & ~lone,
            "coordonnée illisible ou hors limites retirée": notes != "",
            "coordonnée seule retirée (l'autre manque)": lone,
            "latitude et longitude inversées": swapped,
            "coordonnées 0,0 considérées comme absentes": zero,
        }
        for why, mask in reasons.items():
            rows = np.flatnonzero(mask)
            if rows.size:
                run.extra_changes.append(
                    pd.DataFrame(
                        {
                            "ligne": rows + 1,
                            "champ": name,
                            "avant": before.to_numpy(dtype=object)[rows],
                            "apres": [_number_text(v) for v in after.to_numpy()[rows]],
                            "regle": why,
                        }
                    )
                )
    run.counts["sans coordonnées"] = int((lat.isna() | lon.isna()).sum())


def _number_text(value: float) -> str:
    return "" if pd.isna(value) else repr(float(value))


def _resume_overflow(run: _Run, raw_resume: pd.Series) -> None:
    """A truncated summary keeps its full text in presentation_detail when that field is empty."""
    full = raw_resume.str.strip()
    moved = ((full.str.len() > regles.RESUME_MAX) & (run.out["presentation_detail"] == "")).to_numpy()
    if moved.any():
        run.out["presentation_detail"] = run.out["presentation_detail"].where(~moved, full)
        run.rules["presentation_detail"][moved] = "résumé complet reporté dans presentation_detail"


def _ids(run: _Run, origine: str) -> None:
    ids = run.out["id"].to_numpy(dtype=object).copy()
    rules = run.rules["id"]
    missing = np.flatnonzero(ids == "")
    prefix = re.sub(r"[^a-z0-9]+", "-", cellules.strip_accents(origine).lower()).strip("-") or "lieu"
    ids[missing] = [f"{prefix}-{i + 1}" for i in missing]
    rules[missing] = "identifiant absent, généré (origine + numéro de ligne)"
    notes = np.full(run.n, "", dtype=object)
    used = set(ids)
    for i in np.flatnonzero(pd.Series(ids).duplicated(keep="first").to_numpy()):
        k = 2
        while f"{ids[i]}-{k}" in used:
            k += 1
        unique = f"{ids[i]}-{k}"
        used.add(unique)
        notes[i] = f"identifiant « {ids[i]} » en double, rendu unique : « {unique} »"
        rules[i] = "identifiant en double rendu unique"
        ids[i] = unique
    run.out["id"] = pd.Series(ids, dtype=object)
    run.note(notes)
    run.counts["identifiants générés"] = len(missing)


def _required(run: _Run) -> None:
    for name in required_fields():
        if name in ("id", "pivot"):  # always filled: generated id, the standard's unknown pivot
            continue
        missing = (run.out[name] == "").to_numpy()
        run.note(np.where(missing, f"champ obligatoire manquant : {name}", ""))
        run.counts[f"manquant:{name}"] = int(missing.sum())


def _summary(lieux: gpd.GeoDataFrame, changements: pd.DataFrame, counts: Counter) -> list[str]:
    lines = [f"{_lignes(len(lieux))} {'lue' if len(lieux) == 1 else 'lues'}"]
    pivots = changements[(changements["champ"] == "pivot") & (changements["apres"] == PIVOT_INCONNU)]
    if len(pivots):
        lines.append(f"pivot inconnu remplacé par {PIVOT_INCONNU} pour {_lignes(len(pivots))}")
    if counts["sans coordonnées"]:
        lines.append(f"{_lignes(counts['sans coordonnées'])} sans coordonnées")
    for key, n in counts.items():
        if key.startswith("manquant:") and n:
            lines.append(f"champ obligatoire manquant : {key.split(':', 1)[1]} ({_lignes(n)})")
    fictives = int(lieux["date_maj"].isin(regles.DATES_FICTIVES).sum())
    if fictives:
        lines.append(f"date de mise à jour fictive (1970) pour {_lignes(fictives)}")
    if counts["identifiants générés"]:
        lines.append(f"identifiant généré pour {_lignes(counts['identifiants générés'])}")
    others = changements[changements["champ"] != "pivot"].groupby(["champ", "regle"], sort=False).size()
    for (champ, regle), n in others.sort_values(ascending=False).items():
        lines.append(f"{champ} : {regle} ({_lignes(n)})")
    with_notes = int((lieux[ANOMALIES] != "").sum())
    if with_notes:
        lines.append(f"{_lignes(with_notes)} avec au moins une anomalie (voir la colonne anomalies)")
    return lines


def _lignes(n: int) -> str:
    return f"{n} ligne" if n == 1 else f"{n} lignes"
