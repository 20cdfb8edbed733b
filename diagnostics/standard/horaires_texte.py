"""Opening hours written in French ("du lundi au vendredi de 9h à 12h et de 14h à 17h") turned into the
standard's OSM opening_hours syntax when the text leaves no doubt; anything else is flagged, never guessed.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import opening_hours

_JOURS_OSM = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_JOURS = {
    "lundi": 0, "lun": 0, "lu": 0, "mardi": 1, "mar": 1, "ma": 1, "mercredi": 2, "mer": 2, "me": 2,
    "jeudi": 3, "jeu": 3, "je": 3, "vendredi": 4, "ven": 4, "ve": 4, "samedi": 5, "sam": 5, "sa": 5,
    "dimanche": 6, "dim": 6, "di": 6,
}
_VIDES = frozenset("de du des le les l d la ouvert ouverte ouverts ouverture horaires horaire h : et , / + ; | . tous".split())
_SEPARATEURS = frozenset({"et", ",", "/", "+", ";", "|", ".", "puis"})
_INTERVALLE = frozenset({"a", "au", "-", "jusqu", "jusqua"})
_FERME = frozenset({"ferme", "fermee", "fermes", "fermeture", "sauf"})

_JETON = re.compile(
    r"(?P<heure>\d{1,2})\s*(?:h|heures?|:)\s*(?P<minute>\d{2})?"
    r"|(?P<tous>tous\s+les\s+jours|7\s*j\s*/\s*7|7\s*/\s*7|7\s*jours\s+sur\s+7)"
    r"|(?P<semaine>en\s+semaine|jours\s+ouvres)"
    r"|(?P<periode>apres\s*-?\s*midi|matinee|matin|soir)"
    r"|(?P<midi>midi|minuit)"
    r"|(?P<mot>[a-z]+)"
    r"|(?P<signe>[-,/+;|.:])"
    r"|(?P<autre>\S)"
)


@dataclass(frozen=True)
class Conversion:
    """`osm` is the opening_hours value ("" when the text could not be converted without guessing);
    `note` says in French why it was not converted (empty when it was, or when it was already valid)."""

    osm: str
    note: str = ""


def convertir(texte: str) -> Conversion:
    """Convert one French free-text opening hours value to OSM opening_hours.

    A value that is already valid opening_hours is returned unchanged; an empty one gives "".
    """
    texte = (texte or "").strip()
    if not texte:
        return Conversion("")
    if opening_hours.validate(texte):
        return Conversion(texte)
    try:
        jours = _lire(_jetons(_simplifier(texte)))
    except _Ambigu as exc:
        return Conversion("", f"horaires en texte libre non convertis ({exc}) : « {texte} »")
    osm = _ecrire(jours)
    if not osm or not opening_hours.validate(osm):
        return Conversion("", f"horaires en texte libre non convertis : « {texte} »")
    return Conversion(osm)


class _Ambigu(ValueError):
    pass


def _simplifier(texte: str) -> str:
    sans = "".join(c for c in unicodedata.normalize("NFKD", texte) if not unicodedata.combining(c))
    return sans.lower().replace("’", "'").replace("–", "-").replace("—", "-").replace("'", " ")


def _jetons(texte: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for m in _JETON.finditer(texte):
        if m.group("heure") is not None:
            heure, minute = int(m.group("heure")), int(m.group("minute") or 0)
            if heure > 24 or minute > 59:
                raise _Ambigu(f"heure impossible « {m.group()} »")
            out.append(("heure", heure * 60 + minute))
        elif m.group("tous"):
            out.append(("jours", list(range(7))))
        elif m.group("semaine"):
            out.append(("jours", list(range(5))))
        elif m.group("periode"):
            continue  # "le samedi matin de 9h à 12h": the hours say it all; alone, the clause lacks hours
        elif m.group("midi"):
            out.append(("heure", 12 * 60 if m.group("midi") == "midi" else 24 * 60))
        else:
            mot = m.group("mot") or m.group("signe") or m.group("autre")
            pluriel = mot[:-1] if mot.endswith("s") and mot[:-1] in _JOURS else mot
            if pluriel in _JOURS:
                out.append(("jour", _JOURS[pluriel]))
            elif mot in _INTERVALLE:
                out.append(("a", None))
            elif mot in _FERME:
                out.append(("ferme", None))
            elif mot in _SEPARATEURS:
                out.append(("sep", None))
            elif mot in _VIDES:
                continue
            else:
                raise _Ambigu(f"mot non compris « {mot} »")
    return out


def _lire(jetons: list[tuple[str, object]]) -> dict[int, list[tuple[int, int]]]:
    """Clauses "days then hours" or "hours then days"; days after fermé/sauf are closed everywhere."""
    clauses: list[tuple[list[int], list[tuple[int, int]]]] = []
    jours: list[int] = []
    plages: list[tuple[int, int]] = []
    premier = ""
    fermes: set[int] = set()
    fermeture = False
    i = 0
    while i < len(jetons):
        genre, valeur = jetons[i]
        suite = jetons[i + 1 : i + 3]
        if genre == "ferme":
            fermeture = True
        elif genre in ("jour", "jours"):
            if genre == "jour" and [g for g, _ in suite] == ["a", "jour"]:
                fin = suite[1][1]
                nouveaux = [(valeur + k) % 7 for k in range((fin - valeur) % 7 + 1)]
                i += 2
            else:
                nouveaux = valeur if genre == "jours" else [valeur]
            if fermeture:
                fermes.update(nouveaux)
            else:
                if premier == "jour" and plages:
                    clauses.append((jours, plages))
                    jours, plages, premier = [], [], ""
                premier = premier or "jour"
                jours += nouveaux
        elif genre == "heure":
            fermeture = False
            if [g for g, _ in suite[:1]] != ["a"] or len(suite) < 2 or suite[1][0] != "heure":
                raise _Ambigu("heure sans début ni fin")
            debut, fin = valeur, suite[1][1]
            if fin <= debut:
                raise _Ambigu("plage horaire qui finit avant de commencer")
            if premier == "heure" and jours:
                clauses.append((jours, plages))
                jours, plages, premier = [], [], ""
            premier = premier or "heure"
            plages.append((debut, fin))
            i += 2
        elif genre == "a":
            raise _Ambigu("intervalle incomplet")
        elif genre == "sep" and fermeture and not (i + 1 < len(jetons) and jetons[i + 1][0] in ("jour", "jours")):
            fermeture = False
        i += 1
    if jours or plages:
        clauses.append((jours, plages))
    semaine: dict[int, list[tuple[int, int]]] = {}
    for jours, plages in clauses:
        if not jours:
            raise _Ambigu("jours non précisés")
        if not plages:
            raise _Ambigu("heures non précisées")
        for jour in jours:
            semaine.setdefault(jour, []).extend(plages)
    for jour in fermes:
        semaine.pop(jour, None)
    return {jour: _fusionner(plages) for jour, plages in semaine.items()}


def _fusionner(plages: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for debut, fin in sorted(set(plages)):
        if out and debut <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], fin))
        else:
            out.append((debut, fin))
    return out


def _ecrire(semaine: dict[int, list[tuple[int, int]]]) -> str:
    """Days with the same hours grouped: "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:30-12:00"."""
    groupes: dict[tuple, list[int]] = {}
    for jour in sorted(semaine):
        groupes.setdefault(tuple(semaine[jour]), []).append(jour)
    parties = []
    for plages, jours in sorted(groupes.items(), key=lambda kv: kv[1][0]):
        heures = ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in plages)
        parties.append(f"{_jours_osm(jours)} {heures}")
    return "; ".join(parties)


def _jours_osm(jours: list[int]) -> str:
    suites: list[list[int]] = []
    for jour in jours:
        if suites and jour == suites[-1][-1] + 1:
            suites[-1].append(jour)
        else:
            suites.append([jour])
    morceaux = []
    for suite in suites:
        if len(suite) >= 3:
            morceaux.append(f"{_JOURS_OSM[suite[0]]}-{_JOURS_OSM[suite[-1]]}")
        else:
            morceaux += [_JOURS_OSM[j] for j in suite]
    return ",".join(morceaux)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
