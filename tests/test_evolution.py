"""Évolution between two pictures: real files of the same hub at two dates, a file against itself, ids
replaced, places removed, added and moved — every count checked against an independent count from the
raw JSON records."""
from __future__ import annotations

import copy
import json
import math
import uuid
from pathlib import Path

import pytest

from diagnostics import perimetres
from diagnostics.evolution import DEPLACEMENT_M, comparer
from diagnostics.sources.fichier import charger_fichier

FIXTURES = Path(__file__).parent / "fixtures" / "evolution"
V0 = FIXTURES / "hub_du_sud_2023-05-17_v0.json"
V1 = FIXTURES / "hub_du_sud_2024-09-12_v1.json"
PACA = "reg:93"


@pytest.fixture(scope="module")
def paca():
    return perimetres.resoudre(PACA)


@pytest.fixture(scope="module")
def v1_records():
    return json.loads(V1.read_text(encoding="utf-8"))


def _lire(records, tmp_path: Path, nom: str):
    chemin = tmp_path / nom
    chemin.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return charger_fichier(chemin)


def _ids_dans(lieux, territoire) -> set[str]:
    codes = set(territoire.codes_communes)
    return set(lieux.lieux.loc[lieux.lieux["code_commune_2026"].isin(codes), "id"])


def test_meme_hub_en_v0_puis_v1_aucun_changement_d_offre(paca):
    avant, apres = charger_fichier(V0), charger_fichier(V1)
    ids_v0 = {r["id"] for r in json.loads(V0.read_text(encoding="utf-8"))}
    ids_v1 = {r["id"] for r in json.loads(V1.read_text(encoding="utf-8"))}
    e = comparer(paca, avant, apres)
    # Independent count: the raw files carry the same ids, so nothing opened or closed.
    assert len(e.ouverts) == len(ids_v1 - ids_v0) == 0
    assert len(e.fermes) == len(ids_v0 - ids_v1) == 0
    assert len(e.deplaces) == 0
    assert "services" not in set(e.modifications["champ"])
    assert e.nb_modifies == 0
    assert (e.appariements["methode"] == "même identifiant").all()
    assert len(e.appariements) == len(_ids_dans(apres, paca))
    assert any("conversion du standard v0" in a for a in e.avertissements)
    assert set(e.indicateurs["difference"].dropna()) == {0.0}


def test_un_fichier_compare_a_lui_meme_ne_change_pas(paca):
    photo = charger_fichier(V1)
    e = comparer(paca, photo, photo)
    assert (len(e.ouverts), len(e.fermes), len(e.deplaces), len(e.modifications)) == (0, 0, 0, 0)
    assert len(e.communes_devenues_zones_blanches) == len(e.communes_sorties_des_zones_blanches) == 0
    assert e.avant["nb_lieux"] == e.apres["nb_lieux"] == len(_ids_dans(photo, paca))
    # Without a v0 picture no vocabulary allowance is made, and none was needed.
    assert not any("conversion du standard v0" in a for a in e.avertissements)


def test_ids_remplaces_retrouves_par_la_regle_des_doublons(paca, v1_records, tmp_path):
    nouveaux = copy.deepcopy(v1_records)
    for r in nouveaux:
        r["id"] = str(uuid.uuid4())
    avant, apres = charger_fichier(V1), _lire(nouveaux, tmp_path, "reexport.json")
    e = comparer(paca, avant, apres)
    n = len(_ids_dans(avant, paca))
    par_regle = (e.appariements["methode"] != "même identifiant").sum()
    assert par_regle == len(e.appariements)
    # Not "everything closed, everything opened": at least 97 % of the places are found again.
    assert len(e.appariements) >= 0.97 * n, (len(e.appariements), n)
    assert len(e.ouverts) == len(e.fermes) == n - len(e.appariements)
    assert e.appariements["methode"].str.contains("nom").all()


def _deplacer(record: dict, metres: float) -> None:
    record["latitude"] = float(record["latitude"]) + metres / 111_195.0


def test_ouverts_fermes_deplaces_modifies_comptes_independamment(paca, v1_records, tmp_path):
    avant_rec = copy.deepcopy(v1_records)
    apres_rec = copy.deepcopy(v1_records)
    situes = [i for i, r in enumerate(apres_rec) if r.get("latitude") not in (None, "", 0)]
    fermes = set(situes[:12])  # closed: gone from the newer picture
    deplaces = situes[20:25]
    modifies = situes[30:38]
    for i in deplaces:
        _deplacer(apres_rec[i], 1500.0)
    for i in modifies:
        apres_rec[i]["telephone"] = "+33100000000"
        apres_rec[i]["horaires"] = "Mo-Fr 09:00-12:00"
    ouverts = []
    for k, i in enumerate(situes[40:46]):  # opened: new places, other names, 3 km away
        nouveau = copy.deepcopy(apres_rec[i])
        nouveau.update(id=f"nouveau-{k}", nom=f"Espace numérique nouveau {k}", adresse=f"{k + 1} rue Inédite")
        _deplacer(nouveau, 3000.0)
        ouverts.append(nouveau)
    apres_rec = [r for i, r in enumerate(apres_rec) if i not in fermes] + ouverts
    avant, apres = _lire(avant_rec, tmp_path, "avant.json"), _lire(apres_rec, tmp_path, "apres.json")
    e = comparer(paca, avant, apres)

    dans_avant, dans_apres = _ids_dans(avant, paca), _ids_dans(apres, paca)
    assert set(e.ouverts["id"]) == dans_apres - dans_avant
    assert set(e.fermes["id"]) == dans_avant - dans_apres
    assert len(e.fermes) == len({v1_records[i]["id"] for i in fermes} & dans_avant)
    attendus = {v1_records[i]["id"] for i in deplaces} & dans_apres
    assert set(e.deplaces["id"]) == attendus
    assert e.deplaces["distance_m"].between(1400, 1600).all()
    champs = e.modifications.groupby("id")["champ"].agg(set)
    for i in modifies:
        ident = v1_records[i]["id"]
        if ident in dans_apres:
            assert {"telephone", "horaires"} <= champs[ident]
    assert e.nb_modifies == len({v1_records[i]["id"] for i in modifies} & dans_apres)
    famille = dict(zip(e.modifications["champ"], e.modifications["famille"]))
    assert famille["telephone"] == "contacts" and famille["horaires"] == "horaires"
    # Headline: the count of places moves by the openings minus the closures.
    lieux = e.indicateurs.set_index("cle")
    assert lieux.at["nb_lieux", "difference"] == len(e.ouverts) - len(e.fermes)
    # By dispositif: each table's places counted once under each of their dispositifs.
    total_ouverts = sum(max(1, len([d for d in v.split("|") if d])) for v in e.ouverts["dispositifs"])
    assert e.par_dispositif["ouverts"].sum() == total_ouverts
    assert e.par_dispositif["fermes"].sum() == sum(max(1, len([d for d in v.split("|") if d])) for v in e.fermes["dispositifs"])


def test_communes_devenues_zones_blanches(paca, v1_records, tmp_path):
    """Closing every place of one commune far from others makes it a white zone; the reverse leaves it."""
    complet = charger_fichier(V1)
    d = comparer(paca, complet, complet)
    lieux = complet.lieux
    # A commune with places, whose places are all the only ones within 10 km: pick it from the after-figures
    # by removing, one commune at a time, its places until one becomes a white zone.
    codes = lieux.loc[lieux["code_commune_2026"].isin(set(paca.codes_communes)), "code_commune_2026"]
    for code in codes.value_counts().sort_values().index[:60]:
        restants = [r for r, c in zip(v1_records, lieux["code_commune_2026"]) if c != code]
        apres = _lire(restants, tmp_path, f"sans_{code}.json")
        e = comparer(paca, complet, apres)
        if len(e.communes_devenues_zones_blanches):
            break
    else:
        pytest.fail("aucune commune isolée trouvée")
    assert code in set(e.communes_devenues_zones_blanches["code"])
    assert e.apres["zones_blanches_nb_communes"] - d.apres["zones_blanches_nb_communes"] == len(e.communes_devenues_zones_blanches)
    retour = comparer(paca, apres, complet)
    assert set(retour.communes_sorties_des_zones_blanches["code"]) == set(e.communes_devenues_zones_blanches["code"])
    population = e.communes_devenues_zones_blanches["population"].sum()
    assert e.apres["zones_blanches_population"] - e.avant["zones_blanches_population"] == population


def test_json_a_les_cles_du_contrat(paca, v1_records, tmp_path):
    apres_rec = copy.deepcopy(v1_records)[5:]
    e = comparer(paca, charger_fichier(V1), _lire(apres_rec, tmp_path, "moins.json"))
    sortie = json.loads(json.dumps(e.to_json()))
    for cle in ("avant", "apres", "ouverts", "fermes", "deplaces", "modifies",
                "communes_devenues_zones_blanches", "communes_sorties_des_zones_blanches"):
        assert cle in sortie
    for photo in ("avant", "apres"):
        assert {"source", "date", "nb_lieux", "population_a_moins_de_10_km", "zones_blanches_population",
                "accessibilite_moyenne", "part_fiches_a_jour"} <= set(sortie[photo])
    assert {"id", "nom", "commune"} <= set(sortie["fermes"][0])
    assert all(not (isinstance(v, float) and math.isnan(v)) for f in sortie["fermes"] for v in f.values())


def test_photo_avant_plus_recente_averti(paca, v1_records, tmp_path):
    vieux = copy.deepcopy(v1_records)
    for r in vieux:
        r["date_maj"] = "2020-01-15"
    e = comparer(paca, charger_fichier(V1), _lire(vieux, tmp_path, "vieux.json"))
    assert any("plus récente" in a for a in e.avertissements)


def test_deplacement_seuil(paca, v1_records, tmp_path):
    proche = copy.deepcopy(v1_records)
    situes = [r for r in proche if r.get("latitude") not in (None, "", 0)]
    for r in situes[:10]:
        _deplacer(r, DEPLACEMENT_M / 2)
    e = comparer(paca, charger_fichier(V1), _lire(proche, tmp_path, "proche.json"))
    assert len(e.deplaces) == 0
