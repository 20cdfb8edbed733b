"""Perimeters a user defines: a mixed list of communes (codes or names), EPCI, départements and
arrondissements; a CSV/XLSX column of INSEE codes; the `perimetre:Nom=…` identifier syntax; the small
JSON file a team shares. Everything unknown is listed in a French message, nothing is dropped silently.
"""
from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from . import territories
from .perimetre_code import BALISAGE, MAX_COMMUNES, MAX_NOM

MAX_ELEMENTS = MAX_COMMUNES  # entries in a typed list or a file column
MAX_TEXTE = 2_000_000  # characters of a typed or pasted list
MAX_FICHIER_OCTETS = 10 * 1024 * 1024  # CSV/XLSX column of codes
MAX_JSON_OCTETS = 1024 * 1024  # a saved perimeter (35,000 codes take about 300 Ko)
FORMAT_JSON = "perimetre-diagnostic-inclusion"
VERSION_JSON = 1
NOM_PAR_DEFAUT = "Mon périmètre"
_SEPARATEURS = re.compile(r"[,;\t\r\n]+")
_CODE_COMMUNE = re.compile(r"^(\d{4,5}|2[AB]\d{3})(\.0)?$", re.IGNORECASE)
_CODE_EPCI = re.compile(r"^\d{9}$")
_AIDE = (
    "Indiquez des communes (code INSEE ou nom), des EPCI (epci:242900314), des départements (dep:29) "
    "ou des arrondissements (arr:291), séparés par des virgules ou des retours à la ligne."
)


class PerimetreInvalide(ValueError):
    """A perimeter that cannot be built as given (French message saying what to fix)."""


@dataclass
class Analyse:
    """What a list of entries gave: the communes found and, apart, everything that was not understood."""

    nom: str
    codes: set[str] = field(default_factory=set)
    elements: list[dict] = field(default_factory=list)  # {"saisie", "id", "libelle", "nb_communes"}
    inconnus: list[str] = field(default_factory=list)
    ambigus: list[str] = field(default_factory=list)  # "Saint-Denis : commune:93066, commune:97411…"
    convertis: list[tuple[str, str]] = field(default_factory=list)  # (old code, 2026 code)
    sans_geometrie: list[str] = field(default_factory=list)  # overseas collectivities
    remarques: list[str] = field(default_factory=list)  # about the name (characters removed, formula)

    @property
    def complet(self) -> bool:
        return not (self.inconnus or self.ambigus or self.sans_geometrie)

    def messages(self) -> list[str]:
        """French sentences about what was converted or not understood (empty when all is clear)."""
        out = list(self.remarques)
        if self.inconnus:
            out.append(f"{_liste(self.inconnus)} : {_accord(len(self.inconnus), 'élément inconnu', 'éléments inconnus')}, non repris. {_AIDE}")
        if self.ambigus:
            out.append("Noms ambigus, précisez le code : " + " ; ".join(self.ambigus[:10]) + ("…" if len(self.ambigus) > 10 else "") + ".")
        if self.sans_geometrie:
            out.append(f"{_liste(self.sans_geometrie)} : collectivité d'outre-mer sans géométrie de référence, non reprise.")
        if self.convertis:
            exemples = ", ".join(f"{a} → {b}" for a, b in self.convertis[:5])
            out.append(f"{_accord(len(self.convertis), 'ancien code converti', 'anciens codes convertis')} en code 2026 ({exemples}{'…' if len(self.convertis) > 5 else ''}).")
        return out

    def territoire(self, pairs=()) -> territories.Territoire:
        if not self.codes:
            raise PerimetreInvalide("Le périmètre ne contient aucune commune reconnue. " + " ".join(self.messages() or [_AIDE]))
        return territories.perimetre(self.nom, sorted(self.codes), pairs)


def _accord(n: int, singulier: str, pluriel: str) -> str:
    return f"{n:,}".replace(",", "\u202f") + f" {singulier if n == 1 else pluriel}"


def _liste(valeurs: list[str], n: int = 10) -> str:
    texte = ", ".join(f"« {v[:40]} »" for v in valeurs[:n])
    return texte + (f" et {len(valeurs) - n} autres" if len(valeurs) > n else "")


# Characters that HTML or Markdown (the dashboard's text elements) would read as markup: links, images,
# emphasis, code, maths. A perimeter's name goes into titles and sentences, so it never carries them.
_BALISAGE = BALISAGE
_FORMULE = ("=", "+", "-", "@")


def nettoyer_nom(nom: str | None) -> str:
    """The user's name for a perimeter as plain one-line text (control and markup characters removed,
    120 characters at most); the default name when empty. It is shown as text everywhere."""
    texte = "".join(c for c in str(nom or "") if (unicodedata.category(c)[0] != "C" or c == " ") and c not in _BALISAGE)
    texte = re.sub(r"\s+", " ", texte).strip()
    return texte[:MAX_NOM].strip() or NOM_PAR_DEFAUT


def remarques_nom(nom: str | None) -> list[str]:
    """French sentences about what `nettoyer_nom` changed in a name, or about a name that looks like a formula."""
    brut = str(nom or "").strip()
    out = []
    retires = sorted({c for c in brut if c in _BALISAGE})
    if retires:
        out.append(f"Caractères retirés du nom du périmètre (ils serviraient de balises) : {' '.join(retires)}.")
    if brut.startswith(_FORMULE):
        out.append("Le nom commence comme une formule de tableur : il reste du texte, jamais une formule, dans les exports.")
    if len(brut) > MAX_NOM:
        out.append(f"Nom du périmètre raccourci à {MAX_NOM} caractères.")
    return out


def _elements(texte: str) -> list[str]:
    if len(texte) > MAX_TEXTE:
        raise PerimetreInvalide(f"Liste trop longue ({len(texte):,} caractères) : {MAX_TEXTE:,} au plus.".replace(",", "\u202f"))
    elements = [e.strip() for e in _SEPARATEURS.split(texte) if e.strip()]
    if len(elements) > MAX_ELEMENTS:
        raise PerimetreInvalide(
            f"Trop d'éléments ({len(elements):,}) : un périmètre en compte {MAX_ELEMENTS:,} au plus "
            "(la France entière a 34 875 communes).".replace(",", "\u202f")
        )
    return elements


def analyser(texte: str, nom: str | None = None) -> Analyse:
    """The communes named by a mixed list of entries (commune codes or names, epci:…, dep:…, arr:…,
    reg:…; bare 9-digit EPCI SIREN; old commune codes converted to 2026)."""
    return _analyser(_elements(texte or ""), nom)


def _analyser(elements: list[str], nom: str | None) -> Analyse:
    analyse = Analyse(nom=nettoyer_nom(nom), remarques=remarques_nom(nom))
    passage = territories.passage_2026()
    for saisie in dict.fromkeys(elements):  # a repeated entry counts once
        brut = saisie.strip().strip("'\"")
        if _CODE_COMMUNE.match(brut):
            _ajouter_code(analyse, brut, passage)
            continue
        if _CODE_EPCI.match(brut):
            brut = f"epci:{brut}"
        try:
            trouve = _territoire(brut)
        except territories.TerritoireInconnu as exc:
            (analyse.sans_geometrie if "collectivité d'outre-mer" in str(exc) else analyse.inconnus).append(saisie)
            continue
        except _Ambigu as exc:
            analyse.ambigus.append(str(exc))
            continue
        if trouve.niveau == "france":
            analyse.inconnus.append(saisie)
            continue
        analyse.codes.update(trouve.codes_communes)
        analyse.elements.append(
            {"saisie": saisie, "id": trouve.id, "libelle": trouve.libelle, "nb_communes": len(trouve.codes_communes)}
        )
    return analyse


def _ajouter_code(analyse: Analyse, brut: str, passage: dict) -> None:
    code = brut.upper().removesuffix(".0")
    code = code.zfill(5) if code.isdigit() else code
    courant = passage.get(code)
    if courant is None:
        analyse.inconnus.append(brut)
        return
    try:
        commune = territories.get(f"commune:{courant}")
    except territories.TerritoireInconnu:
        analyse.sans_geometrie.append(brut)
        return
    if courant != code:
        analyse.convertis.append((code, courant))
    analyse.codes.add(courant)
    analyse.elements.append({"saisie": brut, "id": commune.id, "libelle": commune.libelle, "nb_communes": 1})


class _Ambigu(Exception):
    pass


def _territoire(saisie: str) -> territories.Territoire:
    """An identifier, or a name that is exactly one territory's (a loose match would add places the
    user never named)."""
    if ":" in saisie or saisie.lower() == "france":
        return territories.resolve(saisie)
    cle = territories.normalize_name(saisie)
    exacts = [t for t in territories.search(saisie, limit=50) if territories.normalize_name(t.nom) == cle]
    if not exacts:
        etiquette = re.match(r"^(.+?)\s*\([^()]+\)$", saisie)  # "Brest (29019)" as the search list shows it
        if etiquette:
            trouve = territories.resolve(saisie)
            if territories.normalize_name(trouve.nom) == territories.normalize_name(etiquette.group(1)):
                return trouve
        raise territories.TerritoireInconnu(saisie)
    niveaux = {t.niveau for t in exacts}
    if len(exacts) > 1 and len(niveaux) == 1:
        raise _Ambigu(f"{saisie} : " + ", ".join(t.id for t in exacts[:5]))
    return exacts[0]  # one per level: the broadest first, as the search shows it


# ---------------------------------------------------------------------------------------------------
# The identifier syntax "perimetre:Nom=epci:242900694,commune:29019"


def resoudre(requete: str) -> territories.Territoire:
    """Like `territories.resolve`, also reading "perimetre:Nom=entries" (every entry must be
    understood: `TerritoireInconnu` lists those that are not)."""
    texte = requete.strip() if isinstance(requete, str) else ""
    if texte.lower().startswith("perimetre:") and "=" in texte:
        nom, _, entrees = texte.split(":", 1)[1].partition("=")
        try:
            analyse = analyser(entrees, nom)
            exiger_complet(analyse)
            return analyse.territoire()
        except PerimetreInvalide as exc:
            raise territories.TerritoireInconnu(str(exc)) from exc
    return territories.resolve(requete)


def exiger_complet(analyse: Analyse) -> None:
    """`PerimetreInvalide` listing every entry that was not understood (the command line must not
    diagnose a perimeter smaller than the one asked)."""
    problemes = [m for m in analyse.messages() if "converti" not in m and m not in analyse.remarques]
    if problemes:
        raise PerimetreInvalide(f"Périmètre « {analyse.nom} » : " + " ".join(problemes))


# ---------------------------------------------------------------------------------------------------
# A column of INSEE codes in a CSV or XLSX file

_COLONNES_CODES = ("code_insee", "insee", "code_commune", "codgeo", "code_geo", "com", "depcom", "code", "commune")


def lire_fichier_codes(contenu: bytes, nom_fichier: str, nom: str | None = None) -> Analyse:
    """The communes of a CSV or XLSX file: the column named like an INSEE code (code_insee, codgeo…),
    else the one whose cells look most like codes; a header-less single column works too."""
    if len(contenu) > MAX_FICHIER_OCTETS:
        raise PerimetreInvalide(f"Fichier trop volumineux ({len(contenu) / 1e6:.1f} Mo) : 10 Mo au plus.".replace(".", ","))
    table = _lire_table(contenu, nom_fichier)
    colonne = _colonne_codes(table)
    valeurs = [str(v).strip() for v in table[colonne].tolist() if pd.notna(v) and str(v).strip()]
    if len(valeurs) > MAX_ELEMENTS:
        raise PerimetreInvalide(
            f"Trop de lignes ({len(valeurs):,}) : un périmètre compte {MAX_ELEMENTS:,} communes au plus.".replace(",", "\u202f")
        )
    if not valeurs:
        raise PerimetreInvalide(f"La colonne « {str(colonne)[:40]} » du fichier est vide : mettez un code INSEE par ligne.")
    analyse = _analyser([], nom)
    passage = territories.passage_2026()
    for valeur in dict.fromkeys(valeurs):
        if _CODE_COMMUNE.match(valeur):
            _ajouter_code(analyse, valeur, passage)
        else:
            analyse.inconnus.append(valeur)
    return analyse


def _lire_table(contenu: bytes, nom_fichier: str) -> pd.DataFrame:
    extension = nom_fichier.lower().rsplit(".", 1)[-1]
    try:
        if extension in ("xlsx", "xlsm"):
            table = pd.read_excel(io.BytesIO(contenu), dtype=str, header=None)
        else:
            texte = _decoder_texte(contenu)
            premiere = texte.splitlines()[0] if texte.strip() else ""
            separateur = max((";", ",", "\t"), key=premiere.count) if premiere else ","
            table = pd.read_csv(io.StringIO(texte), dtype=str, header=None, sep=separateur, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is the same fault for the user
        raise PerimetreInvalide(
            f"Fichier illisible ({type(exc).__name__}) : importez un CSV (UTF-8 ou Windows) ou un XLSX avec une colonne de codes INSEE."
        ) from exc
    if table.empty:
        raise PerimetreInvalide("Le fichier est vide : mettez un code INSEE de commune par ligne.")
    premiere = [str(v).strip() for v in table.iloc[0].tolist()]
    if not any(_CODE_COMMUNE.match(v) for v in premiere):  # the first row is a header
        table.columns = [v or f"colonne {i + 1}" for i, v in enumerate(premiere)]
        table = table.iloc[1:]
    return table


def _decoder_texte(contenu: bytes) -> str:
    for encodage in ("utf-8-sig", "cp1252"):
        try:
            return contenu.decode(encodage)
        except UnicodeDecodeError:
            continue
    return contenu.decode("latin-1")


def _colonne_codes(table: pd.DataFrame):
    noms = {territories.normalize_name(str(c)).replace(" ", "_"): c for c in table.columns}
    for attendu in _COLONNES_CODES:
        if attendu in noms:
            return noms[attendu]

    def part_codes(colonne) -> float:
        valeurs = table[colonne].dropna().astype(str).str.strip()
        return valeurs.str.match(_CODE_COMMUNE).mean() if len(valeurs) else 0.0

    meilleure = max(table.columns, key=part_codes)
    if part_codes(meilleure) == 0:
        raise PerimetreInvalide(
            "Aucune colonne de codes INSEE trouvée : nommez la colonne « code_insee » ou mettez un code par ligne."
        )
    return meilleure


# ---------------------------------------------------------------------------------------------------
# The saved perimeter (JSON)


def vers_json(t: territories.Territoire, elements: list[dict] | None = None) -> bytes:
    """The perimeter as a small JSON file (format, version, name, communes, chosen peers, how it was made)."""
    contenu = territories.contenu_perimetre(t)
    document = {
        "format": FORMAT_JSON,
        "version": VERSION_JSON,
        "nom": contenu.nom,
        "communes": list(contenu.codes),
        "pairs": list(contenu.pairs),
        "population": t.population,
        "elements": [e["id"] for e in (elements or [])][:MAX_ELEMENTS],
        "enregistre_le": date.today().isoformat(),
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def depuis_json(donnees: bytes) -> tuple[Analyse, list[str]]:
    """The perimeter of a file written by `vers_json`, validated (size, format, version, types, codes);
    returns the analysis of its communes and the peers' ids. `PerimetreInvalide` in French otherwise."""
    if len(donnees) > MAX_JSON_OCTETS:
        raise PerimetreInvalide(f"Fichier de périmètre trop volumineux ({len(donnees) / 1e6:.1f} Mo) : 1 Mo au plus.".replace(".", ","))
    try:
        document = json.loads(donnees.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PerimetreInvalide("Ce fichier n'est pas un JSON lisible : chargez un fichier de périmètre enregistré par l'application.") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT_JSON:
        raise PerimetreInvalide("Ce fichier JSON n'est pas un périmètre enregistré par l'application (champ « format » absent ou différent).")
    if document.get("version") != VERSION_JSON:
        raise PerimetreInvalide(f"Version de fichier de périmètre inconnue ({str(document.get('version'))[:20]}) : version {VERSION_JSON} attendue.")
    communes, pairs, nom = document.get("communes"), document.get("pairs", []), document.get("nom", "")
    if not isinstance(communes, list) or not all(isinstance(c, str) for c in communes):
        raise PerimetreInvalide("Le champ « communes » doit être une liste de codes INSEE (texte).")
    if not isinstance(pairs, list) or not all(isinstance(p, str) for p in pairs) or len(pairs) > 50:
        raise PerimetreInvalide("Le champ « pairs » doit être une liste d'au plus 50 identifiants de territoires.")
    if not isinstance(nom, str):
        raise PerimetreInvalide("Le champ « nom » doit être un texte.")
    if len(communes) > MAX_ELEMENTS:
        raise PerimetreInvalide(f"Trop de communes ({len(communes):,}) : {MAX_ELEMENTS:,} au plus.".replace(",", "\u202f"))
    analyse = _analyser([], nom)
    passage = territories.passage_2026()
    for code in dict.fromkeys(communes):
        if _CODE_COMMUNE.match(code.strip()):
            _ajouter_code(analyse, code.strip(), passage)
        else:
            analyse.inconnus.append(code)
    for ident in pairs:
        try:
            territories.get(ident)
        except territories.TerritoireInconnu:
            analyse.inconnus.append(ident)
    return analyse, [p for p in pairs if p not in analyse.inconnus]


# ---------------------------------------------------------------------------------------------------
# What the diagnostic says about a perimeter


def zones_distances(t: territories.Territoire) -> str:
    """French sentence saying in which projection each zone's distances are computed (a perimeter
    over several zones: places of one zone never serve another)."""
    from .indicators.distances import CRS_ZONES

    noms = {2154: "Lambert-93", 5490: "UTM 20 N", 2972: "UTM 22 N", 2975: "UTM 40 S", 4471: "UTM 38 S"}
    zones = territories.zones_perimetre(t)
    parties = []
    for epsg, part in zones.items():
        deps = sorted(p.split(":", 1)[1] for p in part.parents if p.startswith("dep:"))
        ou = "métropole" if int(epsg) == CRS_ZONES["metro"] else "département " + ", ".join(deps)
        parties.append(f"{_accord(len(part.codes_communes), 'commune', 'communes')} ({ou}) en {noms.get(int(epsg), f'EPSG:{epsg}')}")
    if len(parties) == 1:
        return f"Distances calculées en {parties[0].split(' en ', 1)[1]} pour tout le périmètre."
    return (
        "Ce périmètre s'étend sur plusieurs zones ; les distances sont calculées dans la projection de chaque zone : "
        + " ; ".join(parties) + ". Un lieu d'une zone ne sert jamais une autre zone."
    )


def description_perimetre(t: territories.Territoire) -> dict:
    """The `perimetre` block of a perimeter's diagnostic: its communes, the départements and régions it
    touches (most populated first), where distances are computed and which peers it is compared with."""
    pairs = list(territories.contenu_perimetre(t).pairs)
    if pairs:
        libelle = "Pairs choisis par l'utilisateur : " + ", ".join(territories.get(p).libelle for p in pairs) + "."
    else:
        libelle = (
            "Aucun pair : un périmètre personnalisé n'a pas d'unités de même niveau ; choisissez des territoires "
            "à comparer pour obtenir une médiane des pairs."
        )
    return {
        "communes": list(t.codes_communes),
        "departements": [p for p in t.parents if p.startswith("dep:")],
        "regions": [p for p in t.parents if p.startswith("reg:")],
        "zones_distances": zones_distances(t),
        "pairs": {"choix": "choisis" if pairs else "aucun", "ids": pairs, "libelle": libelle},
    }


def fusionner(analyses: list[Analyse], nom: str | None = None) -> Analyse:
    """One analysis from several (a typed list, a file column, a saved file): the union of their
    communes, everything not understood kept."""
    out = Analyse(nom=nettoyer_nom(nom), remarques=remarques_nom(nom))
    for analyse in analyses:
        out.codes |= analyse.codes
        out.elements += analyse.elements
        out.inconnus += analyse.inconnus
        out.ambigus += analyse.ambigus
        out.convertis += analyse.convertis
        out.sans_geometrie += analyse.sans_geometrie
        out.remarques += [r for r in analyse.remarques if r not in out.remarques]
    if len(out.codes) > MAX_ELEMENTS:
        raise PerimetreInvalide(f"Trop de communes ({len(out.codes):,}) : {MAX_ELEMENTS:,} au plus.".replace(",", "\u202f"))
    return out


def analyser_pairs(texte: str, max_pairs: int = 50) -> tuple[list[str], list[str]]:
    """Peers a user typed (identifiers or exact names, comma-separated): (their ids, entries not understood)."""
    ids, inconnus = [], []
    for saisie in dict.fromkeys(_elements(texte or "")[: max_pairs + 1]):
        try:
            trouve = _territoire(f"epci:{saisie}" if _CODE_EPCI.match(saisie) else saisie)
        except (territories.TerritoireInconnu, _Ambigu):
            inconnus.append(saisie)
            continue
        if trouve.niveau == "perimetre":
            inconnus.append(saisie)  # a peer perimeter would make the identifier nest without end
        elif trouve.id not in ids:
            ids.append(trouve.id)
    if len(ids) > max_pairs:
        raise PerimetreInvalide(f"Trop de pairs : {max_pairs} au plus.")
    return ids, inconnus
