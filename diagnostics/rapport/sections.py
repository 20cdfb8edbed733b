"""Report sections read from optional parts of the diagnostic: the "où ouvrir" proposal, the peers,
priority territories and human resources (QPV, FRR, conseillers numériques, Aidants Connect) and the
évolution between two dates. Each returns None when it has nothing to show: a section is left out
rather than drawn empty. Sub-keys are read with `.get`: their producers may add or rename a few."""
from __future__ import annotations

from ..views.format import km, nombre, pourcentage
from ..views.texte import distance_cellule
from ..dates import date_francaise
from .modele import MAX_LIGNES_TABLEAU, Section, Tableau


def ou_ouvrir(diag: dict, rayon_libelle: str, source: str) -> Tableau | None:
    """The greedy "où ouvrir" proposal as a table (one row per proposed site)."""
    bloc = diag.get("ou_ouvrir") or {}
    sites = bloc.get("sites") or []
    if not sites:
        return None
    lignes = [
        [nombre(s.get("rang")), str(s.get("nom", "")), nombre(s.get("population_nouvellement_couverte")),
         nombre(s.get("communes_nouvellement_couvertes")), pourcentage(s.get("part_population_couverte"), 1)]
        for s in sites[:MAX_LIGNES_TABLEAU]
    ]
    return Tableau(
        f"Où ouvrir : lieux proposés pour couvrir le plus d'habitants à moins de {rayon_libelle}",
        ["Ordre", "Commune proposée", "Habitants nouvellement couverts", "Communes nouvellement couvertes",
         "Population couverte (cumul)"],
        lignes, f"Méthode : {bloc.get('methode', '')}.", source=source,
    )


def pairs(diag: dict, indicateurs: dict[str, tuple[str, str]], source: str) -> Section | None:
    """The territory against the median of its peers (same level, same parent), indicator by indicator."""
    comparaison = diag.get("comparaison") or {}
    mediane = comparaison.get("mediane_pairs")
    if not mediane:
        return None
    from ..views.graphiques_couverture import formater, table_reperes

    reperes = table_reperes(diag, list(indicateurs))
    territoire, pairs_ = reperes.iloc[0], reperes.iloc[-1]
    lignes = []
    for cle, (libelle, genre) in indicateurs.items():
        a, b = territoire[cle], pairs_[cle]
        if a is None or b is None:
            position = "—"
        else:
            position = "égal" if abs(a - b) < 1e-9 else ("au-dessus" if a > b else "en dessous")
        cellule = (lambda v: distance_cellule(v) if v is not None else "—") if genre == "km" else (lambda v: formater(v, genre))
        lignes.append([libelle, cellule(a), cellule(b), position])
    n = mediane.get("nb_pairs")
    return Section(
        "Territoires comparables",
        [f"Le territoire face à la médiane des {nombre(n)} territoires de même niveau du même ensemble "
         "(un chiffre « au-dessus » n'est pas toujours meilleur : pour une distance, moins est mieux)."],
        tableaux=[Tableau("Ce territoire et la médiane de ses pairs", ["Indicateur", "Ce territoire",
                                                                         f"Médiane des {nombre(n)} pairs", "Position"],
                          lignes, source=source)],
        source=source,
    )


def territoires_prioritaires(diag: dict, source_lieux: str) -> Section | None:
    """QPV and FRR figures beside the rest of the territory, and the human resources (conseillers
    numériques, Aidants Connect), from the diagnostic's `territoires_prioritaires` and `moyens_humains`
    blocks. A block whose file is missing, or a zone the territory does not have, is said in a sentence."""
    prioritaires = diag.get("territoires_prioritaires") or {}
    moyens = diag.get("moyens_humains") or {}
    tableaux, sources, textes = [], [], []
    lignes = []
    for cle, nom, unite in (("qpv", "Quartiers prioritaires (QPV)", "nb_quartiers"),
                            ("frr", "Communes France Ruralités Revitalisation (FRR)", "nb_communes")):
        bloc = prioritaires.get(cle)
        if not bloc:
            continue
        if bloc.get("fichier_manquant") or not bloc.get(unite):
            if bloc.get("message"):
                textes.append(bloc["message"])
            continue
        lignes.append(_ligne_zone(nom, bloc, unite))
        if bloc.get("hors_zone"):
            lignes.append(_ligne_zone(f"Reste du territoire (hors {cle.upper()})", bloc["hors_zone"], unite))
        if bloc.get("ecart"):
            textes.append(bloc["ecart"])
        sources.append(_source_bloc(nom, bloc))
    if lignes:
        tableaux.append(Tableau(
            "Territoires prioritaires et reste du territoire",
            ["Zone", "Quartiers ou communes", "Habitants", "Lieux", "Lieux pour 10 000 hab.", "À moins de 5 km",
             "À moins de 10 km"],
            lignes, source=" ".join([source_lieux, *sources]),
        ))
    lignes_moyens, sources_moyens = [], []
    for cle, nom, nombre_cle, pour_10000_cle, par_lieu_cle in (
        ("conseillers_numeriques", "Conseillers numériques recrutés", "recrutes", "recrutes_pour_10000_habitants",
         "recrutes_par_lieu"),
        ("aidants_connect", "Aidants habilités Aidants Connect", "aidants_habilites", "aidants_pour_10000_habitants",
         "aidants_par_lieu"),
    ):
        bloc = moyens.get(cle)
        if not bloc or bloc.get(nombre_cle) is None:
            continue
        lignes_moyens.append([nom, nombre(bloc.get(nombre_cle)), nombre(bloc.get(pour_10000_cle), 1),
                              nombre(bloc.get(par_lieu_cle), 1)])
        sources_moyens.append(_source_bloc(nom, bloc))
    aidants = moyens.get("aidants_connect") or {}
    themes = [t for t in aidants.get("demarches_par_theme") or [] if isinstance(t, dict) and t.get("demarches")][:4]
    if themes:
        textes.append(
            f"Aidants Connect : {nombre(aidants.get('demarches'))} démarches pour {nombre(aidants.get('usagers_uniques'))} "
            "usagers uniques ; principaux thèmes : "
            + ", ".join(f"{t['theme']} ({pourcentage(t.get('part'))})" for t in themes) + "."
        )
    if lignes_moyens:
        tableaux.append(Tableau("Moyens humains", ["Dispositif", "Nombre", "Pour 10 000 habitants", "Par lieu"],
                                lignes_moyens, source="Sources : " + " ".join(sources_moyens)))
    if not tableaux:
        return None
    return Section(
        "Territoires prioritaires et moyens humains",
        ["Les quartiers prioritaires de la politique de la ville (QPV) et les communes France Ruralités "
         "Revitalisation (FRR) comparés au reste du territoire, puis les personnes qui accompagnent.", *textes],
        tableaux=tableaux, source=" ".join(t.source for t in tableaux),
    )


def evolution(evo: dict | None) -> Section | None:
    """The évolution between two snapshots: headline figures before and after, places opened, closed,
    moved or modified, and communes entering or leaving the white zones."""
    if not evo:
        return None
    avant, apres = evo.get("avant") or {}, evo.get("apres") or {}
    d_avant, d_apres = date_francaise(avant.get("date")), date_francaise(apres.get("date"))
    nom_avant = avant.get("libelle") or avant.get("source") or "source inconnue"
    nom_apres = apres.get("libelle") or apres.get("source") or "source inconnue"
    source = f"Source : comparaison de {nom_avant} (données du {d_avant}) et de {nom_apres} (données du {d_apres})."
    # The labels the comparison gives (`evolution.INDICATEURS`), else the house's own for the keys it knows.
    libelles = {i["cle"]: i["libelle"] for i in evo.get("indicateurs") or [] if isinstance(i, dict) and "cle" in i}
    cles = [c for c in apres if c not in ("source", "date") and isinstance(apres.get(c), (int, float))
            and isinstance(avant.get(c), (int, float))]
    indicateurs = Tableau(
        f"Chiffres clés au {d_avant} et au {d_apres}",
        ["Indicateur", d_avant, d_apres, "Écart"],
        [[libelles.get(c) or _libelle_evolution(c), _val(avant[c], c), _val(apres[c], c), _ecart(avant[c], apres[c], c)]
         for c in cles],
        source=source,
    )
    comptes = [(cle, libelle, evo.get(cle) or []) for cle, libelle in (
        ("ouverts", "Lieux ouverts"), ("fermes", "Lieux fermés"), ("deplaces", "Lieux déplacés"),
        ("modifies", "Lieux modifiés"))]
    mouvements = Tableau(
        "Lieux ouverts, fermés, déplacés ou modifiés",
        ["Mouvement", "Nombre", "Exemples"],
        [[libelle, nombre(len(liste)), _exemples(liste)] for _, libelle, liste in comptes],
        source=source,
    )
    entrees = evo.get("communes_devenues_zones_blanches") or []
    sorties = evo.get("communes_sorties_des_zones_blanches") or []
    zones = Tableau(
        "Zones blanches : communes entrées et sorties",
        ["Changement", "Communes", "Lesquelles"],
        [["Devenues zones blanches", nombre(len(entrees)), _exemples(entrees)],
         ["Sorties des zones blanches", nombre(len(sorties)), _exemples(sorties)]],
        source=source,
    )
    n = {cle: len(evo.get(cle) or []) for cle in ("ouverts", "fermes", "deplaces", "modifies")}
    texte = (
        f"Entre le {d_avant} et le {d_apres} : {_accord(n['ouverts'], 'lieu ouvert', 'lieux ouverts')}, "
        f"{_accord(n['fermes'], 'fermé', 'fermés')}, {_accord(n['deplaces'], 'déplacé', 'déplacés')} et "
        f"{_accord(n['modifies'], 'modifié', 'modifiés')}."
    )
    tableaux = [t for t in (indicateurs if cles else None, mouvements, zones) if t is not None]
    return Section("Évolution", [texte], tableaux=tableaux, source=source)


def _accord(n: int, singulier: str, pluriel: str) -> str:
    return f"{nombre(n)} {singulier if n < 2 else pluriel}"


def _ligne_zone(nom: str, bloc: dict, unite: str) -> list[str]:
    parts = bloc.get("part_population_a_moins_de") or {}
    return [
        nom, nombre(bloc.get(unite, bloc.get("nb_communes", bloc.get("nb_quartiers")))), nombre(bloc.get("population")),
        nombre(bloc.get("nb_lieux")), nombre(bloc.get("lieux_pour_10000_habitants"), 1),
        pourcentage(parts.get("5")), pourcentage(parts.get("10")),
    ]


def _source_bloc(nom: str, bloc: dict) -> str:
    source = bloc.get("source")
    if isinstance(source, dict):  # the zoning and human-means blocks: {fichier, libelle, date}
        return f"{nom} : {source.get('libelle') or 'source non précisée'}, {date_francaise(source.get('date'))}."
    return f"{nom} : {source or 'source non précisée'}, {date_francaise(bloc.get('date'))}."


_LIBELLES_EVOLUTION = {
    "nb_lieux": "Lieux",
    "lieux_pour_10000_habitants": "Lieux pour 10 000 habitants",
    "distance_mediane_km": "Distance médiane au lieu le plus proche",
    "distance_moyenne_km": "Distance moyenne au lieu le plus proche",
    "zones_blanches_nb_communes": "Communes en zone blanche",
    "zones_blanches_population": "Habitants en zone blanche",
    "zones_blanches_part_population": "Part de la population en zone blanche",
    "part_a_jour": "Fiches à jour",
}


def _libelle_evolution(cle: str) -> str:
    return _LIBELLES_EVOLUTION.get(cle, cle.replace("_", " ").capitalize())


def _val(x, cle: str) -> str:
    if cle.endswith("_km"):
        return distance_cellule(x)
    if cle.startswith("part") or "_part_" in cle:
        return pourcentage(x, 1)
    return nombre(x, 0 if float(x).is_integer() else 1)


def _ecart(a, b, cle: str) -> str:
    d = b - a
    signe = "+" if d > 0 else "−" if d < 0 else ""
    if cle.startswith("part") or "_part_" in cle:
        return f"{signe}{nombre(abs(d) * 100, 1)} points"
    texte = km(abs(d)) if cle.endswith("_km") else nombre(abs(d), 0 if float(d).is_integer() else 1)
    return f"{signe}{texte}"


def _exemples(liste: list, n: int = 4) -> str:
    noms = []
    for x in liste[:n]:
        if isinstance(x, dict):
            nom = x.get("nom") or x.get("id") or ""
            noms.append(f"{nom} ({x['commune']})" if x.get("commune") else str(nom))
        else:
            noms.append(str(x))
    reste = len(liste) - n
    return "; ".join(noms) + (f" et {nombre(reste)} autres" if reste > 0 else "") if noms else "aucun"
