"""Data quality of a set of places: freshness, completeness, positions, contacts, hours, duplicate
candidates, and a per-place to-do list saying what to fix and where the record is corrected.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..standard.doublons import candidats_doublons
from ..standard.fields import ANOMALIES, CODE_COMMUNE, PIVOT_INCONNU, POSITION_APPROX
from . import horaires as horaires_mod

# --- Freshness (Mon Inclusion Numérique's four classes, counted in calendar months) -------------
A_JOUR, A_SURVEILLER, A_VERIFIER, A_ACTUALISER = "à jour", "à surveiller", "à vérifier", "à actualiser"
CLASSES_FRAICHEUR = (A_JOUR, A_SURVEILLER, A_VERIFIER, A_ACTUALISER)
SEUILS_FRAICHEUR_MOIS = (6, 12, 18)
ANNEE_FICTIVE_MAX = 1970  # 1970-01-01 / 1969-12-31: epoch placeholders written by old exports

# --- Completeness: the 24 criteria of the Cartographie nationale v5 score, in standard v1 names ---
# v5 (client-application, score-completion.presentation.ts) weighs 19 criteria 2 and 5 criteria 1.
# Two bugs are not carried over: one entry checked another field than its own, and the denominator
# stayed hard-coded at 41 after a 24th criterion was added (a full record scored 105 %); here each
# criterion checks its own fields and the score divides by the sum of the weights (43).
# A criterion holding several fields is met when any of them is filled (v0 fields split in v1).
CRITERES_COMPLETUDE: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("nom", ("nom",), 2),
    ("adresse", ("adresse",), 2),
    ("commune", ("commune",), 2),
    ("code postal", ("code_postal",), 2),
    ("services", ("services",), 2),
    ("horaires", ("horaires",), 2),
    ("typologie", ("typologie",), 2),
    ("téléphone", ("telephone",), 2),
    ("courriel", ("courriels",), 2),
    ("site web", ("site_web",), 2),
    ("présentation détaillée", ("presentation_detail",), 2),
    ("présentation résumée", ("presentation_resume",), 2),
    ("date de mise à jour", ("date_maj",), 2),  # a real date, not a 1970 placeholder
    ("publics", ("publics_specifiquement_adresses", "prise_en_charge_specifique"), 2),  # v0 publics_accueillis
    ("frais à charge", ("frais_a_charge",), 2),  # v0 conditions_acces
    ("dispositifs nationaux", ("dispositif_programmes_nationaux",), 2),  # v0 labels_nationaux
    ("autres labels", ("formations_labels", "autres_formations_labels"), 2),  # v0 labels_autres
    ("modalités d'accompagnement", ("modalites_accompagnement",), 2),
    ("SIRET ou RNA (pivot)", ("pivot",), 2),  # the unknown pivot 00000000000000 does not count
    ("fiche Acceslibre", ("fiche_acces_libre",), 1),  # v0 accessibilite
    ("latitude", ("latitude",), 1),
    ("longitude", ("longitude",), 1),
    ("prise de rendez-vous", ("prise_rdv",), 1),
    ("source", ("source",), 1),
)
POIDS_TOTAL = sum(weight for *_, weight in CRITERES_COMPLETUDE)
SEUIL_COMPLETUDE = 60.0  # below this percentage the to-do list asks to complete the record

# --- Contact formats ---------------------------------------------------------------------------
MOTIF_TELEPHONE = re.compile(r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}$")  # standard v1
MOTIF_COURRIEL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # deliberately loose
MOTIF_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+\S*$", re.IGNORECASE)
HORS_COMMUNE = "hors de la commune"  # marker of diagnostics.communes.attach_communes' note

# --- Where a record is corrected, by source ----------------------------------------------------
# The place's `source` is lower-cased, stripped of accents and cut into words; the first row whose
# words appear in it, in sequence, gives the answer. Conseillers numériques manage their places in
# La Coop since 2024; hubs correct their own regional databases.
OU_CORRIGER: tuple[tuple[tuple[str, ...], str], ...] = (
    (("coop", "conseiller-numerique", "conseillers-numeriques", "cnfs", "cartographie-nationale"),
     "La Coop de la médiation numérique (coop-numerique.anct.gouv.fr)"),
    (("dora",), "DORA (dora.inclusion.gouv.fr)"),
    (("aidants-connect",), "Aidants Connect (espace référent, aidantsconnect.beta.gouv.fr)"),
    (("france-services",), "Réseau France services (ANCT, via la préfecture)"),
    (("hinaura",), "Hinaura, hub Auvergne-Rhône-Alpes"),
    (("assembleurs",), "Les Assembleurs, hub Hauts-de-France"),
    (("hub-du-sud", "cr93"), "Hub du Sud, Provence-Alpes-Côte d'Azur"),
    (("mednum-bfc",), "MedNum BFC, hub Bourgogne-Franche-Comté"),
    (("france-tiers-lieux",), "France Tiers-Lieux"),
    (("etapes-numerique", "etapes-numeriques"), "La Poste, Étapes numériques"),
    (("soliguide",), "Soliguide"),
)
OU_CORRIGER_DEFAUT = "Cartographie nationale (cartographie.sonum@anct.gouv.fr)"


def _text(places: pd.DataFrame, champ: str) -> pd.Series:
    """A text field, stripped, "" when empty (vectorized: called on every field of 15,000 places)."""
    if champ not in places:
        return pd.Series("", index=places.index, dtype="str")
    return places[champ].fillna("").astype("str").str.strip()


def _dates(places: pd.DataFrame) -> pd.Series:
    """date_maj as Timestamps (NaT when missing, unreadable or a 1970 placeholder)."""
    raw = _text(places, "date_maj").str[:10]
    parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    return parsed.where(parsed.dt.year > ANNEE_FICTIVE_MAX)


def fraicheur(places: pd.DataFrame, reference: date | None = None) -> pd.Series:
    """Freshness class of each place from `date_maj` (ordered categorical, indexed like `places`).

    < 6 months "à jour", 6–12 "à surveiller", 12–18 "à vérifier", 18 months or more, missing,
    unreadable or placeholder (1970-01-01, 1969-12-31) "à actualiser". Months are calendar months
    before `reference` (default today): a date exactly 6 months old is "à surveiller". A date after
    `reference` counts as "à jour" (the to-do list flags it).
    """
    ref = pd.Timestamp(reference or date.today())
    dates = _dates(places)
    limits = [ref - pd.DateOffset(months=m) for m in SEUILS_FRAICHEUR_MOIS]
    classes = np.select(
        [dates > limits[0], dates > limits[1], dates > limits[2]],
        [A_JOUR, A_SURVEILLER, A_VERIFIER],
        default=A_ACTUALISER,
    )
    return pd.Series(pd.Categorical(classes, categories=CLASSES_FRAICHEUR, ordered=True),
                     index=places.index, name="fraicheur")


def criteres_remplis(places: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per completeness criterion (named by its French label), indexed like `places`."""
    out = {}
    for label, fields, _ in CRITERES_COMPLETUDE:
        met = pd.Series(False, index=places.index)
        for field in fields:
            if field in ("latitude", "longitude"):
                filled = pd.to_numeric(places[field], errors="coerce").notna() if field in places else met
            elif field == "pivot":
                filled = _text(places, field).ne("") & _text(places, field).ne(PIVOT_INCONNU)
            elif field == "date_maj":
                filled = _dates(places).notna()
            else:
                filled = _text(places, field).ne("")
            met = met | filled
        out[label] = met
    return pd.DataFrame(out, index=places.index)


def completude(places: pd.DataFrame) -> pd.Series:
    """Completeness of each place in percent (0–100), weights of `CRITERES_COMPLETUDE` (total 43)."""
    return _score(criteres_remplis(places))


def _score(criteria: pd.DataFrame) -> pd.Series:
    weights = np.array([weight for *_, weight in CRITERES_COMPLETUDE], dtype="float64")
    score = criteria.to_numpy(dtype="float64") @ weights / POIDS_TOTAL * 100
    return pd.Series(score, index=criteria.index, name="completude")


def positions(places: pd.DataFrame) -> pd.DataFrame:
    """Position problems (indexed like `places`): manquante (no coordinates), approximative (placed at
    the commune's inner point), hors_commune (the note of `attach_communes`, "" when none)."""
    lat = pd.to_numeric(places["latitude"], errors="coerce") if "latitude" in places else None
    lon = pd.to_numeric(places["longitude"], errors="coerce") if "longitude" in places else None
    missing = (lat.isna() | lon.isna()) if lat is not None and lon is not None else pd.Series(True, index=places.index)
    approx = (places[POSITION_APPROX].fillna(False).astype(bool) if POSITION_APPROX in places
              else pd.Series(False, index=places.index))
    notes = _text(places, ANOMALIES).map(
        lambda text: next((n.strip() for n in text.split(";") if HORS_COMMUNE in n), "")
    )
    return pd.DataFrame({"manquante": missing, "approximative": approx & ~missing, "hors_commune": notes},
                        index=places.index)


def contacts_invalides(places: pd.DataFrame) -> pd.DataFrame:
    """Invalid contact values per place, as the offending text ("" when fine or empty): telephone
    (standard pattern, +33… / overseas prefixes), courriels, site_web, prise_rdv, fiche_acces_libre
    (each item of a `|` list checked; URLs must start with http:// or https://)."""
    return pd.DataFrame(
        {
            "telephone": _bad_items(places, "telephone", MOTIF_TELEPHONE, False),
            "courriels": _bad_items(places, "courriels", MOTIF_COURRIEL, True),
            "site_web": _bad_items(places, "site_web", MOTIF_URL, True),
            "prise_rdv": _bad_items(places, "prise_rdv", MOTIF_URL, False),
            "fiche_acces_libre": _bad_items(places, "fiche_acces_libre", MOTIF_URL, False),
        },
        index=places.index,
    )


def _bad_items(places: pd.DataFrame, champ: str, pattern: re.Pattern, is_list: bool) -> pd.Series:
    text = _text(places, champ).reset_index(drop=True)  # positional index: labels may repeat
    items = (text.str.split("|").explode() if is_list else text).str.strip()
    bad = items[(items != "") & ~items.str.match(pattern.pattern, flags=pattern.flags)]
    out = pd.Series("", index=text.index, dtype=object)
    if len(bad):
        joined = bad.groupby(level=0, sort=False).agg(" | ".join)
        out[joined.index] = joined.to_numpy()
    out.index = places.index
    return out


def doublons(places: pd.DataFrame, seuil: float = 0.8, distance_max_m: float = 200) -> pd.DataFrame:
    """Duplicate candidates (index_a, index_b, score, distance_m, raisons).

    The scoring is `diagnostics.standard.doublons.candidats_doublons` (name and address similarity,
    distance, same commune); this module only presents its pairs.
    """
    return candidats_doublons(places, seuil=seuil, distance_max_m=distance_max_m)


def _normalise_source(source: str) -> str:
    text = unicodedata.normalize("NFKD", source.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "-" + "-".join(re.findall(r"[a-z0-9]+", text)) + "-"


def ou_corriger(places: pd.DataFrame) -> pd.Series:
    """Where each place's record is corrected, from its `source` (table `OU_CORRIGER`); an unknown
    source points to the national team, naming the source when there is one."""
    def answer(source: str) -> str:
        words = _normalise_source(source)
        for keys, where in OU_CORRIGER:
            if any(f"-{key}-" in words for key in keys):
                return where
        return f"{OU_CORRIGER_DEFAUT}, source « {source} »" if source else OU_CORRIGER_DEFAUT

    sources = _text(places, "source")
    mapping = {s: answer(s) for s in sources.unique()}
    return sources.map(mapping).astype(object).rename("ou_corriger")


@dataclass
class _Controles:
    """Every per-place check, computed once and shared by the to-do list and the summary."""

    fraicheur: pd.Series
    dates: pd.Series
    criteres: pd.DataFrame
    completude: pd.Series
    positions: pd.DataFrame
    contacts: pd.DataFrame
    horaires: pd.DataFrame

    @classmethod
    def de(cls, places: pd.DataFrame, reference: date | None) -> _Controles:
        criteres = criteres_remplis(places)
        return cls(
            fraicheur=fraicheur(places, reference),
            dates=_dates(places),
            criteres=criteres,
            completude=_score(criteres),
            positions=positions(places),
            contacts=contacts_invalides(places),
            horaires=horaires_mod.analyser_horaires(places),
        )


def a_faire(
    places: pd.DataFrame,
    reference: date | None = None,
    *,
    paires_doublons: pd.DataFrame | None = None,
    seuil_completude: float = SEUIL_COMPLETUDE,
) -> pd.DataFrame:
    """The to-do list: one row per place with at least one problem, most problems first.

    Columns: id, nom, commune, code_commune, nb_problemes, problemes (French sentences), codes
    (short problem codes joined by "|", for filtering), ou_corriger. The index is the place's index in
    `places`. `paires_doublons` defaults to `doublons(places)` (pass an empty frame to skip it).
    """
    pairs = doublons(places) if paires_doublons is None else paires_doublons
    return _a_faire(places, _Controles.de(places, reference), reference, pairs, seuil_completude)


def _a_faire(places, controles, reference, pairs, seuil_completude) -> pd.DataFrame:
    sentences, codes = _problemes(places, controles, reference, pairs, seuil_completude)
    count = pd.Series([len(s) for s in sentences], index=places.index)
    out = pd.DataFrame(
        {
            "id": _text(places, "id"),
            "nom": _text(places, "nom"),
            "commune": _text(places, "commune"),
            "code_commune": _text(places, CODE_COMMUNE),
            "nb_problemes": count,
            "problemes": [" ".join(s) for s in sentences],
            "codes": ["|".join(c) for c in codes],
            "ou_corriger": ou_corriger(places),
        },
        index=places.index,
    )
    out = out[out["nb_problemes"] > 0]
    order = np.lexsort((np.arange(len(out)), -out["nb_problemes"].to_numpy()))
    return out.iloc[order]


def _problemes(places, controles: _Controles, reference, pairs, seuil_completude):
    """Per place, the list of French sentences and the list of short codes of its problems."""
    n = len(places)
    sentences: list[list[str]] = [[] for _ in range(n)]
    codes: list[list[str]] = [[] for _ in range(n)]

    def add(mask, code, make_sentence):
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            sentences[i].append(make_sentence(i))
            codes[i].append(code)

    ref = pd.Timestamp(reference or date.today())
    dates = controles.dates
    raw_dates = _text(places, "date_maj").to_numpy()
    add(controles.fraicheur.eq(A_ACTUALISER) & dates.notna(), "date_ancienne",
        lambda i: f"Fiche non mise à jour depuis plus de 18 mois (dernière mise à jour le {raw_dates[i][:10]}).")
    add(dates.isna(), "date_absente",
        lambda i: f"Date de mise à jour fictive ou illisible « {raw_dates[i]} » : la fiche est à actualiser."
        if raw_dates[i] else "Date de mise à jour absente : la fiche est à actualiser.")
    add(dates > ref, "date_future", lambda i: f"Date de mise à jour dans le futur ({raw_dates[i][:10]}).")

    pos = controles.positions
    add(pos["manquante"], "position_manquante", lambda i: "Coordonnées manquantes : le lieu n'apparaît pas sur la carte.")
    add(pos["approximative"], "position_approximative",
        lambda i: "Position approximative (centre de la commune) : indiquez l'adresse exacte ou les coordonnées.")
    notes = pos["hors_commune"].to_numpy()
    add(pos["hors_commune"] != "", "position_hors_commune",
        lambda i: f"{notes[i][0].upper()}{notes[i][1:].rstrip('.')} : vérifiez l'adresse ou les coordonnées.")

    for col, (code, text) in _CONTACTS.items():
        values = controles.contacts[col].to_numpy()
        add(controles.contacts[col] != "", code, lambda i, text=text, values=values: f"{text} : « {values[i]} ».")

    hours = controles.horaires
    errors = hours["erreur"].to_numpy()
    raw_hours = _text(places, "horaires").to_numpy()
    add(hours["statut"] == horaires_mod.NON_EXPLOITABLE, "horaires_illisibles",
        lambda i: f"Horaires illisibles « {raw_hours[i]} » : {errors[i]}.")
    add((hours["statut"] == horaires_mod.EXPLOITABLE) & hours["heures_hebdo"].eq(0), "horaires_sans_ouverture",
        lambda i: f"Les horaires « {raw_hours[i]} » n'indiquent aucune ouverture sur une semaine ordinaire.")

    heavy = [label for label, _, weight in CRITERES_COMPLETUDE if weight == 2]
    met = controles.criteres[heavy].to_numpy()
    scores = controles.completude.to_numpy()
    add(controles.completude < seuil_completude, "fiche_incomplete",
        lambda i: f"Fiche complète à {scores[i]:.0f} % : à compléter ("
        + ", ".join(c for c, ok in zip(heavy, met[i]) if not ok) + ").")

    if pairs is not None and len(pairs):
        for i, sentence in _phrases_doublons(places, pairs).items():
            sentences[i].append(sentence)
            codes[i].append("doublon_probable")
    return sentences, codes


_CONTACTS = {
    "telephone": ("telephone_invalide", "Téléphone au format non standard (attendu +33… sans espace)"),
    "courriels": ("courriel_invalide", "Courriel invalide"),
    "site_web": ("site_web_invalide", "Site web invalide (adresse commençant par http:// ou https:// attendue)"),
    "prise_rdv": ("prise_rdv_invalide", "Lien de prise de rendez-vous invalide"),
    "fiche_acces_libre": ("acceslibre_invalide", "Lien Acceslibre invalide"),
}


def _phrases_doublons(places: pd.DataFrame, pairs: pd.DataFrame, max_cites: int = 3) -> dict[int, str]:
    """One sentence per place (by position) naming its probable duplicates, closest match first."""
    position = {label: k for k, label in enumerate(places.index)}
    names = _text(places, "nom").to_numpy()
    matches: dict[int, list[tuple[float, str]]] = {}
    for pair in pairs.itertuples():
        a, b = position.get(pair.index_a), position.get(pair.index_b)
        if a is None or b is None:
            continue
        distance = "" if pd.isna(pair.distance_m) else f", à {float(pair.distance_m):.0f} m"
        for me, other in ((a, b), (b, a)):
            score = float(pair.score)
            matches.setdefault(me, []).append((score, f"« {names[other]} » (ressemblance {score * 100:.0f} %{distance})"))
    out = {}
    for me, found in matches.items():
        found.sort(key=lambda item: -item[0])
        cited = ", ".join(text for _, text in found[:max_cites])
        rest = len(found) - max_cites
        if len(found) == 1:
            out[me] = f"Doublon probable de {cited}."
        else:
            out[me] = f"Doublons probables : {cited}" + (f" et {rest} autre(s)" if rest > 0 else "") + "."
    return out


def repartition_fraicheur(places: pd.DataFrame, reference: date | None = None) -> list[dict]:
    """Count and share of places in each freshness class (JSON-ready), in the classes' order."""
    return _repartition(fraicheur(places, reference), len(places))


def _repartition(classes: pd.Series, n: int) -> list[dict]:
    compte = classes.value_counts().reindex(CLASSES_FRAICHEUR, fill_value=0)
    return [
        {"classe": c, "nombre": int(compte[c]), "part": round(int(compte[c]) / n, 6) if n else None}
        for c in CLASSES_FRAICHEUR
    ]


def resume_qualite(
    places: pd.DataFrame,
    reference: date | None = None,
    *,
    paires_doublons: pd.DataFrame | None = None,
    n_exemples: int = 20,
) -> dict:
    """JSON-ready data-quality summary: freshness classes, completeness, positions, contacts, hours,
    duplicate candidates, and the to-do list's counts per problem and per place of correction
    (with its first `n_exemples` rows)."""
    n = len(places)
    pairs = doublons(places) if paires_doublons is None else paires_doublons
    controles = _Controles.de(places, reference)
    todo = _a_faire(places, controles, reference, pairs, SEUIL_COMPLETUDE)
    score = controles.completude
    pos = controles.positions
    invalid = controles.contacts
    hours = controles.horaires
    per_code = Counter(code for codes in todo["codes"] for code in codes.split("|") if code)

    def share(count):
        return round(count / n, 6) if n else None

    return {
        "nb_lieux": n,
        "reference": (reference or date.today()).isoformat(),
        "fraicheur": _repartition(controles.fraicheur, n),
        "completude": {
            "moyenne": round(float(score.mean()), 1) if n else None,
            "mediane": round(float(score.median()), 1) if n else None,
            "sous_seuil": int((score < SEUIL_COMPLETUDE).sum()),
            "seuil": SEUIL_COMPLETUDE,
            "criteres": [{"critere": label, "champs": list(fields), "poids": weight}
                         for label, fields, weight in CRITERES_COMPLETUDE],
        },
        "positions": {
            "manquantes": int(pos["manquante"].sum()),
            "approximatives": int(pos["approximative"].sum()),
            "hors_commune": int((pos["hors_commune"] != "").sum()),
        },
        "contacts_invalides": {col: int((invalid[col] != "").sum()) for col in invalid.columns},
        "horaires": {
            "non_exploitables": int((hours["statut"] == horaires_mod.NON_EXPLOITABLE).sum()),
            "non_renseignes": int((hours["statut"] == horaires_mod.NON_RENSEIGNE).sum()),
        },
        "doublons": None if pairs is None else {"paires": int(len(pairs))},
        "a_faire": {
            "lieux_concernes": int(len(todo)),
            "part_lieux_concernes": share(len(todo)),
            "par_probleme": dict(per_code.most_common()),
            "par_lieu_de_correction": {k: int(v) for k, v in todo["ou_corriger"].value_counts().items()},
            "exemples": [
                {"id": r.id, "nom": r.nom, "commune": r.commune, "problemes": r.problemes, "ou_corriger": r.ou_corriger}
                for r in todo.head(n_exemples).itertuples()
            ],
        },
    }
