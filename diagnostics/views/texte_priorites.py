"""French card texts of the priority-territory and human-means blocks (Synthèse page): value, caption with
the year of the file, and the comparison with the rest of the territory or the parents."""
from __future__ import annotations

from .format import nombre, pourcentage


def cartes_priorites(diag: dict) -> list[tuple[str, str, str, str]]:
    """(title, value, caption, help) of each card; a missing file gives a card naming it."""
    out = []
    bloc = diag.get("territoires_prioritaires") or {}
    frr, qpv = bloc.get("frr"), bloc.get("qpv")
    if frr and "fichier_manquant" in frr:
        out.append(("Communes FRR", "indisponible", frr["message"], ""))
    elif frr:
        reste = frr.get("hors_zone") or {}
        out.append((
            "Communes FRR (classement 2025)",
            f"{nombre(frr['nb_communes'])} communes",
            f"{nombre(frr['population'])} habitants · {nombre(frr['nb_lieux'])} lieux "
            f"({nombre(frr['lieux_pour_10000_habitants'], 1)} pour 10 000 hab., reste : "
            f"{nombre(reste.get('lieux_pour_10000_habitants'), 1)}) · " + (frr.get("ecart") or frr.get("message") or ""),
            "Communes classées ou bénéficiaires France Ruralités Revitalisation au 10 juillet 2025 (DGCL).",
        ))
    if qpv and "fichier_manquant" in qpv:
        out.append(("Quartiers prioritaires", "indisponible", qpv["message"], ""))
    elif qpv:
        if not qpv["nb_quartiers"]:
            out.append(("Quartiers prioritaires (QPV 2024)", "aucun", qpv["message"], ""))
        else:
            part = (qpv.get("part_population_a_moins_de") or {}).get("5")
            texte = (f"{nombre(qpv['population'])} habitants (compilation tierce) · {nombre(qpv['nb_lieux'])} lieux "
                     f"dans les quartiers · {pourcentage(part)} à 5 km au plus d'un lieu · ")
            texte += qpv.get("ecart") or ""
            if qpv.get("nb_lieux_non_situes"):
                texte += f" {nombre(qpv['nb_lieux_non_situes'])} lieux placés au centre de leur commune ne sont pas situés."
            if qpv.get("message"):
                texte += " " + qpv["message"]
            out.append(("Quartiers prioritaires (QPV 2024)", f"{nombre(qpv['nb_quartiers'])} QPV", texte,
                        "Quartiers prioritaires de la politique de la ville 2024 (ANCT), contours simplifiés."))
    moyens = diag.get("moyens_humains") or {}
    if "fichier_manquant" in moyens:
        out.append(("Moyens humains", "indisponible", moyens["message"], ""))
    elif moyens:
        cn, ac = moyens["conseillers_numeriques"], moyens["aidants_connect"]
        comparaison = moyens.get("comparaison") or {}
        refs = [(r["nom"], r) for k, r in comparaison.items() if k != "mediane_pairs" and r and r.get("nom")]
        if comparaison.get("mediane_pairs"):
            refs.append((f"médiane des {comparaison['mediane_pairs']['nb_pairs']} pairs", comparaison["mediane_pairs"]))
        out.append((
            "Conseillers numériques (2023)",
            f"{nombre(cn['recrutes'])} recrutés",
            f"{nombre(cn['attribues'])} postes attribués, {nombre(cn['formes'])} formés · "
            f"{nombre(cn['recrutes_pour_10000_habitants'], 2)} pour 10 000 hab. · "
            + " · ".join(f"{nom} : {nombre(r.get('conseillers_numeriques_pour_10000_habitants'), 2)}" for nom, r in refs),
            cn["remarque"],
        ))
        themes = ", ".join(ac.get("principaux_themes") or []) or "aucune démarche déclarée"
        out.append((
            "Aidants Connect (février 2024)",
            f"{nombre(ac['aidants_habilites'])} aidants habilités",
            f"{nombre(ac['aidants_pour_10000_habitants'], 2)} pour 10 000 hab. · "
            + " · ".join(f"{nom} : {nombre(r.get('aidants_pour_10000_habitants'), 2)}" for nom, r in refs)
            + f" · {nombre(ac['usagers_uniques'])} usagers uniques, {nombre(ac['demarches'])} démarches "
            f"(thèmes principaux : {themes})",
            ac["remarque"],
        ))
    return out
