"""« À retenir »: three to five findings written from the diagnostic's figures, in plain French, each
naming its figure and its source (the page a chargé de mission reads first)."""
from __future__ import annotations

from dataclasses import dataclass

from ..views.format import km, nombre, pourcentage
from ..dates import date_francaise
from ..views.texte import SEUIL_DANS_LA_COMMUNE_KM, phrase_distance_mediane

MAX_CONSTATS = 5
ECART_NOTABLE = 0.15  # a gap against the parent under 15 % is not a finding


@dataclass(frozen=True)
class Constat:
    """One finding: the sentence, the figure it rests on (as printed) and where that figure comes from."""

    texte: str
    chiffre: str
    source: str


def constats(diag: dict, source: str, *, evolution: dict | None = None) -> list[Constat]:
    """The findings of `diag`, most telling first, at most MAX_CONSTATS.

    Parameters
    ----------
    diag : the diagnostic dict (`diagnostic.diagnostic`).
    source : the places' source line ("Source : … — données du …"), printed with each finding.
    evolution : the évolution comparison (issue 14's dict), when one was made.
    """
    candidats = [
        _ecart_parent(diag, source),
        _evolution(evolution),
        _zone_blanche(diag, source),
        _qualite(diag, source),
        _priorites(diag, source),
        _distance(diag, source),
        _ou_ouvrir(diag, source),
    ]
    retenus = [c for c in candidats if c is not None]
    return retenus[:MAX_CONSTATS]


def _parent(diag: dict) -> dict | None:
    comparaison = diag.get("comparaison") or {}
    for niveau in ("departement", "region", "france"):
        bloc = comparaison.get(niveau)
        if bloc and bloc.get("id") != diag["territoire"].get("id"):
            return bloc
    return None


def _ecart_parent(diag: dict, source: str) -> Constat | None:
    """The largest gap, relative, between the territory and its département (else region, France)."""
    parent = _parent(diag)
    if parent is None:
        return None
    nom = diag["territoire"]["nom"]
    rayon = _rayon(diag)
    candidats = []
    a, b = diag.get("lieux_pour_10000_habitants"), parent.get("lieux_pour_10000_habitants")
    if a is not None and b:
        candidats.append((abs(a - b) / b, (
            f"{nom} compte {nombre(a, 1)} lieu{'x' if a >= 2 else ''} pour 10 000 habitants, "
            f"{'moins' if a < b else 'plus'} que {_nom_parent(parent)} : {nombre(b, 1)}.",
            f"{nombre(a, 1)} lieu{'x' if a >= 2 else ''} pour 10 000 habitants",
        )))
    pa = (diag.get("part_population_a_moins_de") or {}).get(rayon)
    pb = (parent.get("part_population_a_moins_de") or {}).get(rayon)
    if pa is not None and pb:
        candidats.append((abs(pa - pb) / pb, (
            f"{pourcentage(pa)} des habitants ont un lieu à moins de {rayon} km, contre {pourcentage(pb)} "
            f"pour {_nom_parent(parent)}.",
            f"{pourcentage(pa)} des habitants à moins de {rayon} km",
        )))
    if not candidats:
        return None
    ecart, (texte, chiffre) = max(candidats, key=lambda c: c[0])
    if ecart < ECART_NOTABLE:
        texte = f"Chiffres proches de ceux de {_nom_parent(parent)} : {texte}"
    return Constat(texte, chiffre, source)


def _zone_blanche(diag: dict, source: str) -> Constat | None:
    rayon = _rayon(diag)
    zones = diag.get("zones_blanches") or []
    if not zones:
        if (diag.get("part_population_a_moins_de") or {}).get(rayon) is None:
            return None
        return Constat(f"Tous les habitants ont un lieu d'inclusion numérique à moins de {rayon} km.",
                       "0 habitant en zone blanche", source)
    z = max(zones, key=lambda z: z.get("population") or 0)
    distance = z.get("distance_km")
    loin = f" : le plus proche est à {km(distance)}" if distance is not None else ""
    total = int(diag.get("zones_blanches_population") or 0)
    n = int(diag.get("zones_blanches_nb_communes") or len(zones))
    texte = (
        f"{z['nom']} ({nombre(z.get('population'))} habitants) est la commune la plus peuplée sans lieu à moins de "
        f"{rayon} km{loin}."
    )
    if n > 1:
        texte += f" En tout, {nombre(total)} habitants de {nombre(n)} communes sont dans ce cas."
    return Constat(texte, f"{nombre(total)} habitants en zone blanche", source)


def _distance(diag: dict, source: str) -> Constat | None:
    d = diag.get("distance_mediane_km")
    if d is None:
        return None
    chiffre = "moins de 100 m" if d < SEUIL_DANS_LA_COMMUNE_KM else km(d)
    return Constat(phrase_distance_mediane(d), f"distance médiane : {chiffre}", source)


def _priorites(diag: dict, source: str) -> Constat | None:
    priorites = (diag.get("fragilite") or {}).get("priorites") or []
    noms = [p["nom"] for p in priorites[:3] if p.get("nom")]
    if not noms:
        return None
    liste = noms[0] if len(noms) == 1 else ", ".join(noms[:-1]) + " et " + noms[-1]
    return Constat(
        f"Communes à prioriser, où la fragilité numérique et l'éloignement d'un lieu se cumulent : {liste}.",
        f"score de priorité de {priorites[0]['nom']} : {nombre(priorites[0].get('score'), 2)}",
        f"{source} Indice de fragilité numérique : La Mednum et ANSA, 2021.",
    )


def _ou_ouvrir(diag: dict, source: str) -> Constat | None:
    sites = (diag.get("ou_ouvrir") or {}).get("sites") or []
    if not sites:
        return None
    s = sites[0]
    rayon = _rayon(diag)
    return Constat(
        f"Un lieu ouvert à {s['nom']} mettrait {nombre(s.get('population_nouvellement_couverte'))} habitants de plus "
        f"à moins de {rayon} km d'un lieu.",
        f"{nombre(s.get('population_nouvellement_couverte'))} habitants nouvellement couverts",
        source,
    )


def _qualite(diag: dict, source: str) -> Constat | None:
    qualite = diag.get("qualite") or {}
    a_faire = qualite.get("a_faire") or {}
    n = qualite.get("nb_lieux")
    if not n or a_faire.get("lieux_concernes") is None:
        return None
    k = int(a_faire["lieux_concernes"])
    texte = (
        f"{nombre(k)} fiche{'s' if k > 1 else ''} de lieux sur {nombre(n)} "
        f"({pourcentage(a_faire.get('part_lieux_concernes'))}) {'ont' if k > 1 else 'a'} au moins un point à "
        "mettre à jour (fraîcheur, position, contacts, horaires ou doublon)."
        if k else f"Aucune des {nombre(n)} fiches de lieux n'a de point à mettre à jour."
    )
    return Constat(texte, f"{pourcentage(a_faire.get('part_lieux_concernes'))} des fiches à mettre à jour",
                   f"{source} Contrôles de qualité au {date_francaise(qualite.get('reference'))}.")


def _evolution(evolution: dict | None) -> Constat | None:
    if not evolution:
        return None
    avant, apres = evolution.get("avant") or {}, evolution.get("apres") or {}
    ouverts, fermes = len(evolution.get("ouverts") or []), len(evolution.get("fermes") or [])
    texte = (
        f"Entre le {date_francaise(avant.get('date'))} et le {date_francaise(apres.get('date'))}, {nombre(ouverts)} lieu"
        f"{'x' if ouverts > 1 else ''} {'ont' if ouverts > 1 else 'a'} ouvert et {nombre(fermes)} "
        f"{'ont' if fermes > 1 else 'a'} fermé : {nombre(avant.get('nb_lieux'))} lieux avant, "
        f"{nombre(apres.get('nb_lieux'))} après."
    )
    return Constat(texte, f"{nombre(apres.get('nb_lieux'))} lieux au {date_francaise(apres.get('date'))}",
                   f"Source : comparaison de {avant.get('source', 'source inconnue')} et de {apres.get('source', 'source inconnue')}.")


def _rayon(diag: dict) -> str:
    r = float((diag.get("parametres") or {}).get("rayon_km", 10))
    return str(int(r)) if r.is_integer() else str(r)


def _nom_parent(bloc: dict) -> str:
    """"le département (Finistère)": the level says the article, so no gazetteer of French articles is needed."""
    identifiant = str(bloc.get("id") or "")
    if identifiant == "france":
        return "la France"
    niveau = "le département" if identifiant.startswith("dep:") else "la région"
    return f"{niveau} ({bloc.get('nom')})"
