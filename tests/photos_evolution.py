"""Two pictures of the same hub's places for the évolution tests, made from the real v1 fixture with
known changes: three places gone, two new ones (one named like an HTML injection), one moved by about
1.1 km, one with a new telephone. The expected counts are derived from the JSON rows themselves."""
from __future__ import annotations

import json
import math
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "evolution"
V0 = FIXTURES / "hub_du_sud_2023-05-17_v0.json"
V1 = FIXTURES / "hub_du_sud_2024-09-12_v1.json"
MALVEILLANT = "<img src=x onerror=alert(1)>"
TERRITOIRE = "reg:93"


def _positionnee(ligne: dict) -> bool:
    return bool(ligne.get("latitude")) and bool(ligne.get("longitude"))


def lignes_modifiees() -> tuple[list[dict], list[dict]]:
    """(avant, après) rows."""
    lignes = json.loads(V1.read_text(encoding="utf-8"))
    positionnees = [i for i, ligne in enumerate(lignes) if _positionnee(ligne)]
    fermes, deplace, modifie, modele = positionnees[:3], positionnees[3], positionnees[4], positionnees[5]
    # Dispositifs and typologies on the places that change, so that the charts have bars to count.
    lignes[fermes[0]]["dispositif_programmes_nationaux"] = "France Services"
    lignes[fermes[1]]["dispositif_programmes_nationaux"] = "France Services|Conseillers numériques"
    lignes[fermes[1]]["typologie"] = "ASSO"
    avant = [dict(ligne) for ligne in lignes]
    apres = [dict(ligne) for i, ligne in enumerate(lignes) if i not in fermes]
    for ligne in apres:
        if ligne["id"] == lignes[deplace]["id"]:
            ligne["latitude"] = float(ligne["latitude"]) + 0.01
        if ligne["id"] == lignes[modifie]["id"]:
            ligne["telephone"] = "+33491000000" if ligne.get("telephone") != "+33491000000" else "+33491000001"
    nouveaux = ((MALVEILLANT, "Conseillers numériques", "ASSO"), ("Nouveau tiers-lieu numérique", "Aidants Connect", ""))
    for n, (nom, dispositif, typologie) in enumerate(nouveaux):
        nouveau = dict(lignes[modele])
        nouveau.update({
            "dispositif_programmes_nationaux": dispositif, "typologie": typologie,
            "id": f"test-nouveau-{n}", "nom": nom, "adresse": f"{n + 1} rue Inventée",
            "latitude": float(nouveau["latitude"]) + 0.05 * (n + 1), "longitude": float(nouveau["longitude"]) + 0.05,
        })
        apres.append(nouveau)
    return avant, apres


def fichiers() -> tuple[bytes, bytes]:
    avant, apres = lignes_modifiees()
    return (json.dumps(avant, ensure_ascii=False).encode(), json.dumps(apres, ensure_ascii=False).encode())


def _distance_m(a: dict, b: dict) -> float:
    la1, lo1, la2, lo2 = (math.radians(float(x)) for x in (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def attendus() -> dict[str, int]:
    """Counts from the rows' ids and positions, independently of the library."""
    avant, apres = lignes_modifiees()
    par_id_avant = {ligne["id"]: ligne for ligne in avant}
    par_id_apres = {ligne["id"]: ligne for ligne in apres}
    communs = par_id_avant.keys() & par_id_apres.keys()
    deplaces = sum(
        1 for i in communs
        if _positionnee(par_id_avant[i]) and _positionnee(par_id_apres[i]) and _distance_m(par_id_avant[i], par_id_apres[i]) > 200
    )

    def champs(ligne: dict) -> dict:
        return {k: v for k, v in ligne.items() if k not in ("latitude", "longitude")}

    modifies = sum(1 for i in communs if champs(par_id_avant[i]) != champs(par_id_apres[i]))
    return {
        "ouverts": len(par_id_apres.keys() - par_id_avant.keys()),
        "fermes": len(par_id_avant.keys() - par_id_apres.keys()),
        "deplaces": deplaces,
        "modifies": modifies,
        "avant": len(avant),
        "apres": len(apres),
    }
