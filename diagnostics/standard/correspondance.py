"""Column mapping from a collector's spreadsheet to the standard: suggestions from its headers, a mapping
object saved and reloaded as JSON (the shape of ANCT's mednum-cli configurations), applied before `normalize`.
"""
from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from diagnostics.standard import v0
from diagnostics.standard.fields import field_names

# v0 columns whose values `normalize` redistributes over several v1 fields: valid mapping targets too.
CIBLES_V0 = ("publics_accueillis", "conditions_acces", "labels_nationaux")
IGNOREE = ""  # target of a column left out

EXACT, SYNONYME, MOT_CLE, APPROCHANT = "exact", "synonyme", "mot-clé", "approchant"
_RANG = {EXACT: 0, SYNONYME: 1, MOT_CLE: 2, APPROCHANT: 3}

# Whole headers (accent-free key) seen in collectors' spreadsheets and exports → target.
_SYNONYMES: dict[str, str] = {
    **{k: v for k, v in v0.COLUMN_ALIASES.items() if v != "cle_ban"},
    "identifiant": "id",
    "siret": "pivot",
    "siren": "pivot",
    "numero_siret": "pivot",
    "structure": "nom",
    "nom_du_lieu": "nom",
    "nom_de_votre_structure": "nom",
    "raison_sociale": "nom",
    "localite": "commune",
    "code_commune": "code_insee",
    "insee": "code_insee",
    "rue": "adresse",
    "voie": "adresse",
    "x": "longitude",
    "y": "latitude",
    "portable": "telephone",
    "site": "site_web",
    "url": "site_web",
    "description": "presentation_detail",
    "presentation": "presentation_detail",
    "horaires_d_ouverture": "horaires",
    "ouverture": "horaires",
    "date_de_mise_a_jour": "date_maj",
    "mise_a_jour": "date_maj",
    "maj": "date_maj",
    "type_de_structure": "typologie",
    "type": "typologie",
    "public": "publics_accueillis",
    "publics": "publics_accueillis",
    "tarif": "frais_a_charge",
    "tarifs": "frais_a_charge",
    "labels": "labels_nationaux",
    "rendez_vous": "prise_rdv",
    "prise_de_rendez_vous": "prise_rdv",
}

# Words inside a longer header, most specific first: "Adresse mail" is an e-mail before an address,
# "Code postal de la commune" a postcode before a commune, "Nom de la commune" a commune before a name.
_MOTS_CLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("courriels", ("mail", "courriel", "email", "e_mail", "mel")),
    ("site_web", ("site", "web", "internet", "url")),
    ("telephone", ("telephone", "tel", "portable", "mobile")),
    ("code_postal", ("code_postal", "postal", "cp")),
    ("code_insee", ("insee", "code_commune", "cog")),
    ("complement_adresse", ("complement",)),
    ("commune", ("ville", "commune", "localite")),
    ("latitude", ("latitude", "lat")),
    ("longitude", ("longitude", "lon", "lng")),
    ("horaires", ("horaire", "horaires", "ouverture")),
    ("date_maj", ("mise_a_jour", "maj", "modification", "actualisation")),
    ("prise_rdv", ("rendez_vous", "rdv")),
    ("fiche_acces_libre", ("acceslibre", "acces_libre", "accessibilite")),
    ("modalites_accompagnement", ("accompagnement",)),
    ("modalites_acces", ("modalites_d_acces", "modalites_acces", "comment_venir")),
    ("frais_a_charge", ("frais", "tarif", "tarifs", "gratuit", "cout", "conditions_d_acces")),
    ("publics_accueillis", ("public", "publics")),
    ("labels_nationaux", ("label", "labels", "dispositif", "dispositifs")),
    ("itinerance", ("itinerance", "itinerant")),
    ("services", ("service", "services", "activite", "activites")),
    ("typologie", ("typologie", "type_de_structure", "categorie")),
    ("presentation_resume", ("resume",)),
    ("presentation_detail", ("presentation", "description")),
    ("structure_parente", ("parente", "structure_parente", "reseau")),
    ("pivot", ("siret", "siren", "rna")),
    ("adresse", ("adresse", "rue", "voie")),
    ("nom", ("nom", "structure", "lieu", "raison_sociale")),
    ("source", ("source",)),
    ("id", ("identifiant",)),
)


def cibles() -> tuple[str, ...]:
    """Every target a column can be mapped to: the 32 v1 fields, then the v0 columns to convert."""
    return (*field_names(), *CIBLES_V0)


@dataclass
class Correspondance:
    """Which column of the source feeds each target field.

    `colonnes` maps a target (v1 field or v0 column) to a source header; `regles` holds mednum-cli value
    rules (target → [{"colonnes": [...], "termes": [...], "cible": value}]) kept from a loaded
    configuration; `confiance` says, for suggestions, how each target was recognised.
    """

    colonnes: dict[str, str] = field(default_factory=dict)
    regles: dict[str, list[dict]] = field(default_factory=dict)
    confiance: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """JSON in mednum-cli's shape: {"nom": {"colonne": "Nom de la structure"}, "services": [rules]…}."""
        data: dict = {cible: {"colonne": entete} for cible, entete in self.colonnes.items()}
        for cible, regles in self.regles.items():
            data[cible] = regles
        return json.dumps(data, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, texte: str | bytes) -> Correspondance:
        """Read a mapping saved by `to_json` or a mednum-cli configuration.

        Raises
        ------
        ValueError
            The text is not a JSON object (French message).
        """
        try:
            data = json.loads(texte)
        except ValueError as exc:
            raise ValueError("Le fichier de correspondance n'est pas un JSON valide : choisissez celui enregistré par cet outil.") from exc
        if not isinstance(data, dict):
            raise ValueError("Le fichier de correspondance doit être un objet JSON {champ: {\"colonne\": …}} : choisissez celui enregistré par cet outil.")
        out = cls()
        for cle, valeur in data.items():
            cible = _cible_connue(str(cle))
            if not cible:
                continue
            if isinstance(valeur, str):
                if valeur:  # "" means unmapped, as {"colonne": ""} does
                    out.colonnes[cible] = valeur
            elif isinstance(valeur, dict) and isinstance(valeur.get("colonne"), str):
                if valeur["colonne"]:
                    out.colonnes[cible] = valeur["colonne"]
            elif isinstance(valeur, list):
                regles = [r for r in valeur if _regle_valide(r)]
                if regles:
                    out.regles[cible] = regles
        return out

    def appliquer(self, brut: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """The raw table with its columns renamed to their targets (one column per target, same rows).

        Returns the mapped table and French notes: mapped headers absent from the table, columns left out.
        """
        entetes = [str(c) for c in brut.columns]
        position = {}
        for i, entete in enumerate(entetes):
            position.setdefault(entete, i)
        colonnes, notes = {}, []
        for cible, entete in self.colonnes.items():
            if entete in position:
                colonnes[cible] = brut.iloc[:, position[entete]].to_numpy(dtype=object)
            else:
                notes.append(f"colonne « {entete} » prévue pour {cible} absente du fichier : {cible} reste vide")
        for cible, regles in self.regles.items():
            valeurs = _valeurs_par_regles(brut, position, regles)
            if cible in colonnes:
                colonnes[cible] = [f"{a}|{b}" if a and b else a or b for a, b in zip(_texte(colonnes[cible]), valeurs)]
            else:
                colonnes[cible] = valeurs
        utilisees = set(self.colonnes.values()) | {c for r in self.regles.values() for x in r for c in x["colonnes"]}
        ignorees = [e for e in entetes if e not in utilisees]
        if ignorees:
            notes.append("colonnes non reprises : " + ", ".join(f"« {e} »" for e in ignorees))
        table = pd.DataFrame(colonnes, index=range(len(brut)), dtype=object)
        return table, notes


def suggerer(entetes: list[str]) -> Correspondance:
    """Suggested mapping for these headers: exact standard names, known synonyms and v0 names, keywords
    of French spreadsheet headers, then close spellings (typos). Each target gets at most one header, the
    most certain; each header at most one target.
    """
    candidats: list[tuple[int, int, str, str, str]] = []
    for i, entete in enumerate(entetes):
        trouve = _reconnaitre(str(entete))
        if trouve:
            cible, comment = trouve
            candidats.append((_RANG[comment], i, cible, str(entete), comment))
    out = Correspondance()
    for _, _, cible, entete, comment in sorted(candidats):
        if cible not in out.colonnes:
            out.colonnes[cible] = entete
            out.confiance[cible] = comment
    # Targets in the standard's order, so the saved file reads like the schema.
    ordre = {c: k for k, c in enumerate(cibles())}
    out.colonnes = dict(sorted(out.colonnes.items(), key=lambda kv: ordre[kv[0]]))
    return out


def choisir_entete(brut: pd.DataFrame, max_lignes: int = 5) -> tuple[pd.DataFrame, int]:
    """Promote a lower row to header when it names more standard fields than the header read.

    Spreadsheets often carry a title or merged group cells above the real header. Returns the table
    (unchanged when the header read is the best) and the number of rows moved out of the data.
    """
    def score(noms) -> int:
        return len(suggerer([str(n) for n in noms if str(n).strip()]).colonnes)

    meilleur, rang = score(brut.columns), 0
    for k in range(min(max_lignes, len(brut) - 1)):
        s = score(brut.iloc[k].tolist())
        if s > meilleur + 1:
            meilleur, rang = s, k + 1
    if rang == 0:
        return brut, 0
    ligne = [str(v).strip() for v in brut.iloc[rang - 1].tolist()]
    dessus = [str(c) for c in brut.columns]
    noms = [v or (d if not d.startswith("colonne_") else f"colonne_{i + 1}") for i, (v, d) in enumerate(zip(ligne, dessus))]
    table = brut.iloc[rang:].reset_index(drop=True)
    table.columns = noms
    return table, rang


def cle(texte: str) -> str:
    """Accent-free, lower-case header key with `_` between words ("Code postal" → "code_postal")."""
    sans = "".join(c for c in unicodedata.normalize("NFKD", texte) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", sans.lower()).strip("_")


def _cible_connue(nom: str) -> str:
    k = cle(nom)
    if k in cibles():
        return k
    return _SYNONYMES.get(k, "") if _SYNONYMES.get(k, "") in cibles() else ""


def _reconnaitre(entete: str) -> tuple[str, str] | None:
    k = cle(entete)
    if not k:
        return None
    if k in cibles():
        return k, EXACT
    if k in _SYNONYMES and _SYNONYMES[k] in cibles():
        return _SYNONYMES[k], SYNONYME
    mots = f"_{k}_"
    for cible, indices in _MOTS_CLES:
        if any(f"_{m}_" in mots for m in indices):
            return cible, MOT_CLE
    connus = {**{c: c for c in cibles()}, **{s: c for s, c in _SYNONYMES.items() if c in cibles() and len(s) > 4}}
    proche = difflib.get_close_matches(k, list(connus), n=1, cutoff=0.85)
    if proche:
        return connus[proche[0]], APPROCHANT
    return None


def _regle_valide(regle) -> bool:
    """A mednum-cli rule: {"colonnes": [header, …], "termes": [text, …] (optional), "cible": value}."""
    return (
        isinstance(regle, dict)
        and "cible" in regle
        and isinstance(regle.get("colonnes"), list)
        and all(isinstance(c, str) for c in regle["colonnes"])
        and isinstance(regle.get("termes", []), (list, type(None)))
    )


def _texte(valeurs) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in valeurs]


def _valeurs_par_regles(brut: pd.DataFrame, position: dict[str, int], regles: list[dict]) -> list[str]:
    """mednum-cli value rules: a row gets `cible` when one of `termes` occurs in one of `colonnes`."""
    n = len(brut)
    out: list[list[str]] = [[] for _ in range(n)]
    for regle in regles:
        noms = [c for c in regle["colonnes"] if c in position]
        if not noms:
            continue
        cellules = [" ".join(t) for t in zip(*(_texte(brut.iloc[:, position[c]].tolist()) for c in noms))]
        termes = [str(t).lower() for t in regle.get("termes") or [] if str(t)]
        cible = str(regle["cible"])
        for i, cellule in enumerate(cellules):
            texte = cellule.lower()
            if (any(t in texte for t in termes) if termes else texte.strip()) and cible not in out[i]:
                out[i].append(cible)
    return ["|".join(v) for v in out]
