"""Perimeters (sets of communes a user defines) and arrondissements, on the real reference geography and
the embedded places: same figures as the EPCI they copy, unions, the compact URL, hostile input, files,
the saved JSON, the report and the embed, and the dashboard's pages (AppTest)."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from streamlit.testing.v1 import AppTest

from diagnostics import perimetre_code, perimetres, territories
from diagnostics.carte_locale.extraits import attributs_cartographie
from diagnostics.diagnostic import diagnostic, table_unites
from diagnostics.places import charger_lieux, dans_territoire
from diagnostics.rapport import construire, fichiers_rapport, tableaux
from diagnostics.indicators.par_commune import table_communes
from diagnostics.views import fichiers

APP = str(Path(__file__).resolve().parents[1] / "app.py")
BREST_METROPOLE, MORLAIX_CO = "epci:242900314", "epci:242900835"
PAGES = ["pages/synthese.py", "pages/carte.py", "pages/offre.py", "pages/zones_blanches.py", "pages/qualite.py",
         "pages/lieux.py", "pages/comparer.py", "pages/evolution.py", "pages/rapport.py", "pages/carte_integrer.py"]


def _diag(t, parties=("comparaison",)):
    resultat = charger_lieux(t)
    return diagnostic(t, resultat.lieux, resultat.source, parties=parties), resultat.lieux


# ---------------------------------------------------------------------------------------------------
# Same figures, unions


def test_a_perimeter_equal_to_an_epci_gives_exactly_its_diagnostic():
    epci = territories.get(BREST_METROPOLE)
    copie = perimetres.analyser(BREST_METROPOLE, "Copie de Brest Métropole").territoire()
    assert copie.codes_communes == epci.codes_communes and copie.niveau == "perimetre"
    parties = ("comparaison", "ou_ouvrir", "offre", "horaires", "qualite", "fragilite")
    attendu, _ = _diag(epci, parties)
    obtenu, _ = _diag(copie, parties)
    figures = set(attendu) - {"territoire", "comparaison"}
    assert figures >= {"nb_lieux", "population", "distance_mediane_km", "zones_blanches", "offre", "fragilite"}
    for cle in figures:
        assert obtenu[cle] == attendu[cle], cle
    assert obtenu["nb_lieux"] > 0
    for parent in ("departement", "region", "france"):
        assert obtenu["comparaison"][parent] == attendu["comparaison"][parent]
    # Peers: an EPCI has the other EPCI of its département; a perimeter none unless chosen, and says so.
    assert attendu["comparaison"]["mediane_pairs"]["nb_pairs"] > 0
    assert obtenu["comparaison"]["mediane_pairs"] is None
    assert obtenu["comparaison"]["pairs"]["choix"] == "aucun" and "Aucun pair" in obtenu["comparaison"]["pairs"]["libelle"]
    assert obtenu["perimetre"]["departements"] == ["dep:29"] and obtenu["perimetre"]["regions"] == ["reg:53"]


def test_a_perimeter_of_two_epci_sums_population_and_unites_places():
    a, b = territories.get(BREST_METROPOLE), territories.get(MORLAIX_CO)
    union = perimetres.analyser(f"{a.id}\n{b.id}", "Deux EPCI").territoire()
    assert union.population == a.population + b.population
    assert len(union.codes_communes) == len(a.codes_communes) + len(b.codes_communes)
    ids = {}
    for t in (a, b, union):
        lieux = charger_lieux(t).lieux
        ids[t.id] = set(lieux[dans_territoire(lieux, t)]["id"])
    assert ids[union.id] == ids[a.id] | ids[b.id] and ids[a.id] and ids[b.id]
    diag, _ = _diag(union, ())
    assert diag["population"] == a.population + b.population
    assert diag["nb_lieux"] == len(ids[union.id])


def test_chosen_peers_are_compared_and_said():
    t = perimetres.analyser("arr:293", "Pays de Morlaix").territoire(["epci:242900835", "arr:291"])
    assert [p.id for p in territories.peers(t)] == ["epci:242900835", "arr:291"]
    diag, _ = _diag(t)
    pairs = diag["comparaison"]["mediane_pairs"]
    assert pairs["nb_pairs"] == 2
    # The median of two peers is the mean of their own figures.
    valeurs = [_diag(territories.get(i), ())[0]["population"] for i in ("epci:242900835", "arr:291")]
    assert pairs["population"] == pytest.approx(sum(valeurs) / 2)
    assert diag["perimetre"]["pairs"]["choix"] == "choisis" and "CA Morlaix Communauté" in diag["perimetre"]["pairs"]["libelle"]


def test_a_perimeter_over_mainland_and_overseas_says_where_distances_are_computed():
    t = perimetres.analyser("29019, 97411, 97101", "Trois villes").territoire()
    assert set(territories.zones_perimetre(t)) == {"2154", "2975", "5490"}
    assert {p for p in t.parents if p.startswith("reg:")} == {"reg:53", "reg:04", "reg:01"}
    diag, lieux = _diag(t, ())
    phrase = diag["perimetre"]["zones_distances"]
    assert "Lambert-93" in phrase and "UTM 40 S" in phrase and "974" in phrase
    assert phrase in diag["avertissements"]
    assert diag["nb_communes"] == 3 and diag["distance_mediane_km"] is not None
    # Neighbours are found around each zone in its own projection.
    voisins = territories.buffer_communes(t, 10)
    assert any(c.startswith("974") for c in voisins) and any(c.startswith("29") for c in voisins)
    assert not set(voisins) & set(t.codes_communes)


# ---------------------------------------------------------------------------------------------------
# Arrondissements


def test_arrondissements_are_a_level_searchable_by_name():
    brest = territories.resolve("arr:291")
    assert brest.niveau == "arrondissement" and brest.nom == "Arrondissement de Brest"
    assert "29019" in brest.codes_communes
    communes = [territories.get(f"commune:{c}") for c in brest.codes_communes]
    assert brest.population == sum(c.population for c in communes)
    assert territories.search("arrondissement de morlaix")[0].id == "arr:293"
    assert territories.search("brest")[0].id == "commune:29019"  # the commune still comes first
    finistere = territories.get("dep:29")
    arrondissements = territories.children(finistere, "arrondissement")
    assert [a.id for a in arrondissements] == ["arr:291", "arr:292", "arr:293", "arr:294"]
    assert sum(a.population for a in arrondissements) == finistere.population
    assert territories.geometry(brest).area > territories.geometry(territories.get("commune:29019")).area
    with pytest.raises(territories.TerritoireInconnu, match="Arrondissement introuvable"):
        territories.resolve("arr:999")


# ---------------------------------------------------------------------------------------------------
# The compact URL


def _codes_300() -> list[str]:
    finistere = territories.get("dep:29").codes_communes
    cotes = territories.get("dep:22").codes_communes
    return sorted(finistere + cotes[: 300 - len(finistere)])


def test_url_round_trip_of_300_communes_and_its_length():
    codes = _codes_300()
    assert len(codes) == 300
    t = territories.perimetre("Ouest breton", codes, ["dep:56"])
    jeton = t.id.split(":", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", jeton)
    assert len(t.id) < 400, len(t.id)  # measured: ~290 characters for 300 neighbouring communes
    retour = perimetres.resoudre(t.id)
    assert retour.codes_communes == tuple(codes) and retour.nom == "Ouest breton"
    assert [p.id for p in territories.peers(retour)] == ["dep:56"]
    # Communes scattered over France (one in 100) compress less but stay shareable.
    disperses = territories.get("france").codes_communes[::100][:300]
    loin = territories.perimetre("Dispersé", disperses)
    assert perimetres.resoudre(loin.id).codes_communes == tuple(sorted(disperses))
    assert len(loin.id) < 1200, len(loin.id)
    # Corsica's 2A/2B codes and the overseas codes survive.
    mixte = territories.perimetre("Îles", ["2A004", "2B033", "97411", "01001"])
    assert perimetres.resoudre(mixte.id).codes_communes == ("01001", "2A004", "2B033", "97411")


def test_url_wrapped_by_an_e_mail_client_still_opens():
    t = territories.perimetre("Bassin", _codes_300())
    jeton = t.id.split(":", 1)[1]
    coupe = "\n".join(jeton[i:i + 76] for i in range(0, len(jeton), 76))
    assert territories.resolve(f"perimetre:{coupe}").codes_communes == t.codes_communes
    assert territories.resolve(f"perimetre:{jeton[:50]}%0A{jeton[50:]}").codes_communes == t.codes_communes


@pytest.mark.parametrize("abimer", [
    lambda j: j[:-1],  # cut at the end
    lambda j: j[: len(j) // 2],  # cut in the middle
    lambda j: j[:10] + ("A" if j[10] != "A" else "B") + j[11:],  # one character changed
    lambda j: j + "x",  # one added
    lambda j: "<script>alert(1)</script>",
    lambda j: "",
])
def test_a_damaged_url_is_a_clear_french_message(abimer):
    jeton = territories.perimetre("Bassin", _codes_300()).id.split(":", 1)[1]
    with pytest.raises(territories.TerritoireInconnu, match="Le lien du périmètre est abîmé ou incomplet"):
        territories.resolve("perimetre:" + abimer(jeton))


def test_a_hand_made_identifier_cannot_carry_markup_or_huge_content():
    for nom in ("<b>x</b>", "[clic](javascript:alert(1))", "a\nb"):
        jeton = perimetre_code.encoder(perimetre_code.Contenu(nom, ("29019",)))
        with pytest.raises(territories.TerritoireInconnu, match="nom invalide"):
            territories.resolve(f"perimetre:{jeton}")
    with pytest.raises(perimetre_code.CodeAbime):
        perimetre_code.decoder("A" * 200_000)


# ---------------------------------------------------------------------------------------------------
# Hostile and damaged entries


def test_unknown_ambiguous_and_old_codes_are_listed_never_dropped():
    analyse = perimetres.analyser("29019, 99999, Saint-Denis, 29009, 97501, xyzzy\nMorlaix", "Test")
    assert analyse.codes == {"29019", "29039", "29151"}  # 29009 is an old code of Concarneau (29039)
    messages = " ".join(analyse.messages())
    assert "« 99999 »" in messages and "« xyzzy »" in messages and "2 éléments inconnus" in messages
    assert "Saint-Denis" in messages and "commune:93066" in messages
    assert "« 97501 »" in messages and "outre-mer" in messages
    assert "29009 → 29039" in messages
    with pytest.raises(territories.TerritoireInconnu, match="xyzzy"):
        perimetres.resoudre("perimetre:Test=29019,xyzzy")


def test_fifty_thousand_codes_are_refused_in_french():
    texte = ",".join(f"{29000 + i % 300:05d}" for i in range(50_000))
    with pytest.raises(perimetres.PerimetreInvalide, match="Trop d'éléments"):
        perimetres.analyser(texte)
    with pytest.raises(territories.TerritoireInconnu, match="Trop d'éléments"):
        perimetres.resoudre("perimetre:Gros=" + texte)
    csv = ("code_insee\n" + "\n".join(["29019"] * 50_000)).encode()
    with pytest.raises(perimetres.PerimetreInvalide, match="Trop de lignes"):
        perimetres.lire_fichier_codes(csv, "codes.csv")


HOSTILE = '<img src=x onerror=alert(1)> =HYPERLINK("http://x.invalid","clic")'


def test_html_or_formula_in_the_name_stays_text_in_the_diagnostic_and_the_exports():
    analyse = perimetres.analyser(BREST_METROPOLE, HOSTILE)
    assert not set(analyse.nom) & set("<>=[]")
    assert "img src" in analyse.nom and "HYPERLINK" in analyse.nom
    assert any("Caractères retirés" in m for m in analyse.messages())
    formule = perimetres.analyser(BREST_METROPOLE, "=1+2")
    assert formule.nom == "1+2" and any("formule" in m for m in formule.messages())
    plus = perimetres.analyser(BREST_METROPOLE, "+33 Bassin @Brest")
    assert plus.nom == "+33 Bassin @Brest"  # not markup: kept, and neutralised in spreadsheets
    t = plus.territoire()
    resultat = charger_lieux(t)
    diag = diagnostic(t, resultat.lieux, resultat.source)
    table = table_communes(t, resultat.lieux)
    sorties = fichiers_rapport(construire(diag, table, lieux=resultat.lieux), ["html", "pptx"])
    assert set(sorties) and all(len(v) > 1000 for v in sorties.values())
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", nom) for nom in sorties)
    page = next(v for k, v in sorties.items() if k.endswith(".html")).decode()
    assert "+33 Bassin @Brest" in page
    tables = tableaux.fichiers(t.nom, [tableaux.table_par_commune(table), tableaux.table_par_epci(t, resultat.lieux)])
    for nom, donnees in tables.items():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", nom)
        if nom.endswith(".xlsx"):
            for feuille in load_workbook(io.BytesIO(donnees)):
                assert all(c.data_type != "f" for ligne in feuille.iter_rows() for c in ligne)
    cellule = pd.DataFrame({"territoire": [t.nom]})
    assert fichiers.csv_tableau(cellule).decode("utf-8-sig").splitlines()[1].startswith("'+33")


# ---------------------------------------------------------------------------------------------------
# A file column of codes, the saved JSON


def test_a_csv_column_with_old_and_unknown_codes():
    contenu = "nom;codgeo;autre\nBrest;29019;x\nConcarneau (ancien code);29009;y\nFaux;99999;z\n".encode("cp1252")
    analyse = perimetres.lire_fichier_codes(contenu, "communes.csv", "Mes communes")
    assert analyse.codes == {"29019", "29039"}
    assert analyse.convertis == [("29009", "29039")] and analyse.inconnus == ["99999"]


def test_an_xlsx_column_of_numbers_without_header():
    classeur = Workbook()
    feuille = classeur.active
    for code in (1053, 29019, "2A004"):  # Excel dropped the leading zero of 01053
        feuille.append([code])
    tampon = io.BytesIO()
    classeur.save(tampon)
    analyse = perimetres.lire_fichier_codes(tampon.getvalue(), "codes.xlsx")
    assert analyse.codes == {"01053", "29019", "2A004"} and analyse.complet
    with pytest.raises(perimetres.PerimetreInvalide, match="illisible"):
        perimetres.lire_fichier_codes(b"PK\x03\x04 not a workbook", "codes.xlsx")


def test_saved_json_round_trip_and_validation():
    t = perimetres.analyser("arr:293, 29019", "Nord Finistère").territoire(["epci:242900314"])
    donnees = perimetres.vers_json(t)
    assert len(donnees) < 5000
    document = json.loads(donnees)
    assert document["format"] == perimetres.FORMAT_JSON and document["version"] == 1
    analyse, pairs = perimetres.depuis_json(donnees)
    assert analyse.territoire(pairs).id == t.id
    mauvais = {
        b"{": "pas un JSON lisible",
        b"[]": "n'est pas un périmètre",
        json.dumps({**document, "version": 99}).encode(): "Version",
        json.dumps({**document, "communes": [29019]}).encode(): "liste de codes",
        json.dumps({**document, "pairs": "dep:29"}).encode(): "pairs",
        b"[" * 100_000: "pas un JSON lisible",
        b" " * (perimetres.MAX_JSON_OCTETS + 1): "trop volumineux",
    }
    for contenu, message in mauvais.items():
        with pytest.raises(perimetres.PerimetreInvalide, match=message):
            perimetres.depuis_json(contenu)
    inconnu, _ = perimetres.depuis_json(json.dumps({**document, "communes": ["29019", "00000"]}).encode())
    assert inconnu.inconnus == ["00000"]


# ---------------------------------------------------------------------------------------------------
# Tables, embed


def test_per_unit_tables_and_the_web_component_embed():
    t = perimetres.analyser(f"{BREST_METROPOLE}, 29151", "Brest et Morlaix").territoire()
    lieux = charger_lieux(t).lieux
    communes = table_unites(t, lieux)
    assert list(communes["code"]) == list(t.codes_communes)
    epci = table_unites(t, lieux, "epci")
    assert set(epci["id"]) == {BREST_METROPOLE, MORLAIX_CO}
    attributs = attributs_cartographie(t)
    assert attributs["territoire-type"] == "communes"
    assert attributs["territoires"].split(",") == list(t.codes_communes)
    assert attributs["route-initiale"] == "/bretagne/finistere"


# ---------------------------------------------------------------------------------------------------
# Pages (AppTest)


def _app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for cle, valeur in params.items():
        at.query_params[cle] = valeur
    return at.run()


def _metriques(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_synthese_of_a_perimeter_in_the_url_shows_the_epcis_figures():
    copie = territories.perimetre("Copie", territories.get(BREST_METROPOLE).codes_communes)
    perimetre = _app(territoire=copie.id)
    epci = _app(territoire=BREST_METROPOLE)
    assert not perimetre.exception and not perimetre.error
    assert perimetre.title[0].value == "Copie (périmètre)"
    assert _metriques(perimetre) == _metriques(epci) and _metriques(epci)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_on_a_perimeter(page):
    t = perimetres.analyser(f"{BREST_METROPOLE}, 29151, 97411", "+33 Bassin @Brest").territoire()
    at = _app(territoire=t.id)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_a_damaged_perimeter_url_is_a_french_message_in_the_page():
    jeton = territories.perimetre("Bassin", _codes_300()).id
    at = _app(territoire=jeton[:-5])
    assert not at.exception
    assert any("Le lien du périmètre est abîmé" in e.value for e in at.error)


def test_the_sidebar_builder_previews_then_applies():
    at = _app(territoire="dep:29")
    at.text_input(key="_perimetre_nom").input("<b>Bassin</b> de Morlaix")
    at.text_area(key="_perimetre_texte").input("epci:242900694, commune:29019, zzz").run()
    assert not at.exception, at.exception
    textes = " ".join(m.value for m in at.sidebar.markdown)
    attendu = territories.get("epci:242900694").population + territories.get("commune:29019").population
    assert "17 communes" in textes and f"{attendu:,}".replace(",", "\u202f") in textes
    assert any("« zzz »" in w.value for w in at.sidebar.warning)
    assert any("Caractères retirés" in w.value for w in at.sidebar.warning)
    images = [e for e in at.sidebar.get("expander")[0].children.values() if type(e).__name__ == "Image"]
    assert len(images) == 1 and "svg" in str(images[0].proto)  # the outline preview, drawn offline
    at.button(key="_perimetre_appliquer").click().run()
    assert not at.exception, at.exception
    ident = at.query_params["territoire"]
    ident = ident[0] if isinstance(ident, list) else ident
    assert territories.resolve(ident).nom == "bBassin/b de Morlaix"
    assert at.title[0].value == "bBassin/b de Morlaix (périmètre)"
    assert "<b>" not in " ".join(m.value for m in at.markdown)
    boutons = [b for b in at.sidebar.get("download_button")]
    assert boutons, "the saved perimeter download is offered"


# ---------------------------------------------------------------------------------------------------
# Online source


def test_a_large_perimeter_from_the_api_is_asked_as_commune_lists_and_cached(server, tmp_path):
    from diagnostics.sources import api
    from diagnostics.sources.cache import Cache

    t = territories.perimetre("Grand Ouest", territories.get("france").codes_communes[::20])  # ~1,700 communes
    assert len(t.id) > 1000
    cache = Cache(tmp_path)
    resultat = api.fetch_places(t, base_url=server.url, cache=cache)
    assert server.requests and all(r.params["territoire_type"] == "communes" for r in server.requests)
    demandes = {c for r in server.requests for c in r.params["territoires"].split(",")}
    assert set(t.codes_communes) <= demandes
    assert resultat.source.nom == "api"
    assert list(tmp_path.glob("api_perimetre-*.cache"))  # a short file name, the id hashed
    assert all(len(p.name) < 120 for p in tmp_path.iterdir())
