"""Local map site: the data it carries, escaping, colour/logo/SVG checks, snippets and the CLI."""
from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from diagnostics import commandes, reference, territories
from diagnostics.carte_locale import (
    ParametreInvalide,
    archive_zip,
    attributs_cartographie,
    corrections_couleurs,
    construire_site,
    contraste,
    donnees_carte,
    extrait_cartographie_nationale,
    extrait_iframe,
    options_carte,
    valider_couleur,
    valider_logo,
)
from diagnostics.carte_locale.site import page_html
from diagnostics.places import charger_lieux
from diagnostics.sources.base import SourceInfo
from diagnostics.standard.fields import to_places_frame
from diagnostics.views.assets import urls_externes

SOURCE = SourceInfo(nom="fichier", libelle="Fichier de test", date="2025-02-01")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
MALVEILLANT = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def brest():
    return territories.resolve("commune:29019")


def _lieux() -> pd.DataFrame:
    lignes = [
        {"id": "a", "nom": MALVEILLANT, "code_commune_2026": "29019", "latitude": 48.39, "longitude": -4.49,
         "site_web": "javascript:alert(1)|https://ok.example.org", "prise_rdv": "data:text/html,x",
         "services": "Aide aux démarches administratives|Accès internet et matériel informatique",
         "publics_specifiquement_adresses": "Seniors", "prise_en_charge_specifique": "Surdité",
         "presentation_resume": "{{ 7*7 }} \u2028 fin"},
        {"id": "b", "nom": "", "code_commune_2026": "29019", "fiche_acces_libre": "https://acceslibre.beta.gouv.fr/x"},
        {"id": "q", "nom": "Quimper", "code_commune_2026": "29232", "latitude": 47.99, "longitude": -4.10},
    ]
    for ligne in lignes:
        # What a file would carry, so that a file source finds the same communes again.
        brest = ligne["code_commune_2026"] == "29019"
        ligne.update(code_insee=ligne["code_commune_2026"], code_postal="29200" if brest else "29000",
                     commune="Brest" if brest else "Quimper", date_maj="2025-01-10")
    return to_places_frame(pd.DataFrame(lignes))


# --- colours and contrast ---------------------------------------------------------------------------


def test_couleurs_validees_et_normalisees():
    assert valider_couleur("#1F4E8C") == "#1f4e8c"
    assert valider_couleur(" #18c ") == "#1188cc"
    for mauvaise in ("red", "#12345", "#1234567", "#12g", "", "#fff;}body{x:1", "url(x)"):
        with pytest.raises(ParametreInvalide, match="hexadécimale"):
            valider_couleur(mauvaise)


def test_contraste_wcag():
    assert contraste("#000000", "#ffffff") == pytest.approx(21)
    assert contraste("#ffffff", "#ffffff") == pytest.approx(1)
    # #767676 is the lightest grey that passes 4.5:1 on white, #777777 the first that fails.
    assert contraste("#767676", "#fff") > 4.5 > contraste("#777777", "#fff")


def test_couleurs_peu_lisibles_corrigees_et_dites():
    assert corrections_couleurs("#1f4e8c", "#b3400a") == []
    corrections = corrections_couleurs("#ffeb3b", "#fff59d")
    assert len(corrections) == 3
    assert "couleur principale #ffeb3b" in corrections[0] and "écrits en noir" in corrections[0]
    assert "plus foncée" in corrections[1] and "secondaire #fff59d" in corrections[2]


# --- logos -----------------------------------------------------------------------------------------


def test_logos_reconnus_par_leurs_premiers_octets():
    assert valider_logo(PNG, "logo.png").extension == "png"
    assert valider_logo(b"\xff\xd8\xff\xe0" + b"\x00" * 20).extension == "jpg"
    assert valider_logo(b"RIFF\x10\x00\x00\x00WEBPVP8 ").extension == "webp"
    # The name does not decide: a GIF named .png, a script named .png are refused.
    for contenu in (b"GIF89a" + b"\x00" * 20, b"<script>alert(1)</script>", b""):
        with pytest.raises(ParametreInvalide):
            valider_logo(contenu, "logo.png")


def test_logo_trop_lourd_refuse():
    with pytest.raises(ParametreInvalide, match="Ko"):
        valider_logo(PNG + b"\x00" * 600_000, "gros.png")


def test_svg_nettoye():
    svg = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)" viewBox="0 0 10 10">
      <script>alert(2)</script>
      <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
      <image href="https://tracker.example/p.png"/>
      <a href="javascript:alert(3)"><rect width="5" height="5"/></a>
      <rect width="10" height="10" fill="#123456" style="fill:url(https://x.example/a)" onclick="alert(4)"/>
      <use xlink:href="https://x.example/s.svg#a"/><use href="#interne"/>
      <circle r="2" fill="url(#degrade)"/><path d="M0 0L10 10" filter="url(http://x.example/f)"/>
    </svg>"""
    logo = valider_logo(svg, "logo.svg")
    texte = logo.contenu.decode()
    assert logo.extension == "svg" and logo.type_mime == "image/svg+xml"
    for interdit in ("script", "alert", "onload", "onclick", "foreignObject", "image", "javascript", "example", "style="):
        assert interdit not in texte
    assert 'fill="#123456"' in texte and 'href="#interne"' in texte and 'fill="url(#degrade)"' in texte
    assert texte.count("<rect") == 1  # the rectangle inside the dropped <a> goes with it


def test_svg_avec_entites_refuse():
    bombe = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    with pytest.raises(ParametreInvalide, match="DOCTYPE"):
        valider_logo(bombe, "logo.svg")
    with pytest.raises(ParametreInvalide, match="illisible"):
        valider_logo(b"<svg><g></svg>", "logo.svg")


# --- options ---------------------------------------------------------------------------------------


def test_options():
    o = options_carte(titre="  Ma   carte ", couleur="#ABC", filtres="frais, services")
    assert o.titre == "Ma carte" and o.couleur == "#aabbcc" and o.filtres == ("services", "frais")
    assert options_carte(filtres="").filtres == ()
    assert options_carte().filtres == ("services", "frais", "publics", "dispositifs")
    with pytest.raises(ParametreInvalide, match="Filtre inconnu : horaires"):
        options_carte(filtres="services,horaires")
    with pytest.raises(ParametreInvalide, match="raccourcissez"):
        options_carte(titre="x" * 121)
    with pytest.raises(ParametreInvalide, match="couleur secondaire"):
        options_carte(couleur_secondaire="bleu")


# --- data ------------------------------------------------------------------------------------------


def test_donnees_seulement_le_territoire_et_les_champs_montres(brest):
    donnees = donnees_carte(brest, _lieux(), SOURCE, options_carte(filtres="services"))
    lieux = {lieu["id"]: lieu for lieu in donnees["lieux"]}
    assert set(lieux) == {"a", "b"}
    a, b = lieux["a"], lieux["b"]
    assert a["nom"] == MALVEILLANT  # kept as data; the page inserts it as text
    assert a["sites"] == ["https://ok.example.org"] and a["prise_rdv"] == ""
    assert a["publics"] == ["Seniors", "Surdité"]
    assert a["services"] == ["Aide aux démarches administratives", "Accès internet et matériel informatique"]
    assert b["lat"] is None and b["lon"] is None and b["nom"] == "Lieu sans nom"
    assert b["fiche_acces_libre"] == "https://acceslibre.beta.gouv.fr/x"
    assert "pivot" not in a and "anomalies" not in a and "ligne_source" not in a
    assert donnees["filtres"] == ["services"]
    assert donnees["source"] == {"libelle": "Fichier de test", "date": "2025-02-01"}
    assert [c["code"] for c in donnees["communes"]] == ["29019"]
    assert donnees["contour"]["type"] in ("Polygon", "MultiPolygon")


def test_donnees_reelles_epci(tmp_path):
    t = territories.resolve("epci:242900314")
    resultat = charger_lieux(t)
    donnees = donnees_carte(t, resultat.lieux, resultat.source)
    communes = reference.communes()
    codes = set(communes.loc[communes["epci"] == "242900314", "code"])
    attendus = set(resultat.lieux.loc[resultat.lieux["code_commune_2026"].isin(codes), "id"])
    assert len(resultat.lieux) > len(attendus) > 0  # the loaded frame also holds neighbours
    assert {lieu["id"] for lieu in donnees["lieux"]} == attendus
    assert {c["code"] for c in donnees["communes"]} == codes
    assert all(c["geometrie"] for c in donnees["communes"])


# --- the site --------------------------------------------------------------------------------------


def test_titre_echappe_et_politique_de_securite(brest):
    titre = '</title><script>alert(1)</script> & "x"'
    donnees = donnees_carte(brest, _lieux(), SOURCE, options_carte(titre=titre, fond_de_carte=False))
    page = page_html(donnees)
    assert "<script>alert" not in page and "&lt;/title&gt;&lt;script&gt;" in page
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    assert "img-src 'self';" in csp
    avec_fond = page_html(donnees_carte(brest, _lieux(), SOURCE, options_carte()))
    assert "img-src &#39;self&#39; https://tile.openstreetmap.org;" in avec_fond
    assert not re.search(r"\son[a-z]+=", page)  # no inline event handler
    assert "<style" not in page and "style=" not in page


def test_construire_site(tmp_path, brest):
    logo = valider_logo(PNG, "logo.png")
    options = options_carte(titre="Brest", couleur="#6a1b9a", couleur_secondaire="#ffeb3b", logo=logo)
    site = construire_site(brest, _lieux(), SOURCE, tmp_path / "site", options)
    assert site.nombre_lieux == 2 and site.sans_position == 1
    assert len(site.avertissements) == 1 and "secondaire #ffeb3b" in site.avertissements[0]
    for chemin in ("index.html", "app.js", "style.css", "theme.css", "donnees.js", "logo.png",
                   "vendor/leaflet/leaflet.js", "vendor/leaflet.markercluster/leaflet.markercluster.js",
                   "vendor/opening_hours/opening_hours.js", "vendor/opening_hours/LGPL-3.0-only.txt",
                   "vendor/suncalc/suncalc.js"):
        assert (site.dossier / chemin).is_file(), chemin
    assert (site.dossier / "logo.png").read_bytes() == PNG
    theme = (site.dossier / "theme.css").read_text()
    # The yellow markers would not stand out on the light map: drawn in a darker yellow, said in avertissements.
    assert "--couleur: #6a1b9a;" in theme and "--couleur-secondaire: #ffeb3b;" not in theme
    assert f"--couleur-secondaire: {site.avertissements[0].split()[5].rstrip(',')};" in theme
    script = (site.dossier / "donnees.js").read_text()
    assert script.startswith("window.CARTE_LOCALE = ") and "\u2028" not in script
    donnees = json.loads(script.removeprefix("window.CARTE_LOCALE = ").rstrip().rstrip(";"))
    assert {lieu["id"] for lieu in donnees["lieux"]} == {"a", "b"}
    index = site.index.read_text()
    assert 'src="logo.png"' in index and urls_externes(index) == []
    assert "innerHTML" not in (site.dossier / "app.js").read_text()

    # A rebuild without logo removes the old one; the ZIP holds the folder's files.
    construire_site(brest, _lieux(), SOURCE, site.dossier, options_carte())
    assert not (site.dossier / "logo.png").exists()
    noms = zipfile.ZipFile(io.BytesIO(archive_zip(site.dossier))).namelist()
    assert "index.html" in noms and "vendor/opening_hours/opening_hours.js" in noms and "logo.png" not in noms


# --- snippets --------------------------------------------------------------------------------------


def test_extrait_iframe_echappe():
    code = extrait_iframe('https://ville.example/carte/"><script>', 'Carte "<b>"', hauteur=500)
    assert "<script>" not in code and "&lt;b&gt;" in code and 'height="500"' in code
    assert code.startswith('<iframe src="https://ville.example/carte/&quot;&gt;')


def test_extrait_national_epci_en_communes():
    t = territories.resolve("epci:242900314")
    communes = reference.communes()
    codes = sorted(communes.loc[communes["epci"] == "242900314", "code"])
    attributs = attributs_cartographie(t)
    assert attributs["territoire-type"] == "communes"
    assert attributs["territoires"].split(",") == codes
    assert attributs["route-initiale"] == "/bretagne/finistere"
    code = extrait_cartographie_nationale(
        t, app_name='Brest "métropole" <b>', logo_url="https://brest.example/logo.png", couleur="#6A1B9A"
    )
    assert "<cartographie-inclusion-numerique" in code and 'territoires="' + ",".join(codes) + '"' in code
    assert 'app-name="Brest &quot;métropole&quot; &lt;b&gt;"' in code
    assert 'logo-url="https://brest.example/logo.png"' in code and "--color-primary: #6a1b9a;" in code
    with pytest.raises(ParametreInvalide):
        extrait_cartographie_nationale(t, logo_url="javascript:alert(1)")
    with pytest.raises(ParametreInvalide):
        extrait_cartographie_nationale(t, couleur="red;}")


def test_extrait_national_departement_region_france():
    assert attributs_cartographie(territories.resolve("dep:22")) == {
        "territoire-type": "departements", "territoires": "22", "route-initiale": "/bretagne/cotes-d-armor",
    }
    assert attributs_cartographie(territories.resolve("reg:11"))["route-initiale"] == "/ile-de-france"
    assert attributs_cartographie(territories.resolve("france")) == {}


# --- CLI -------------------------------------------------------------------------------------------


@pytest.fixture
def cli_avec_commande():
    return commandes.main


def test_cli_carte_locale(tmp_path, capsys, cli_avec_commande):
    fichier = tmp_path / "lieux.csv"
    _lieux().drop(columns="geometry").to_csv(fichier, index=False)
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    sortie = tmp_path / "site"
    code = cli_avec_commande([
        "carte-locale", "-t", "commune:29019", "--source", str(fichier), "--couleur", "#ffeb3b", "--logo", str(logo),
        "--titre", "Brest", "--filtres", "services,frais", "--sans-fond-de-carte", "--sortie", str(sortie),
    ])
    erreur = capsys.readouterr().err
    assert code == 0, erreur
    assert "Couleurs ajustées : Le texte blanc" in erreur and "carte de 2 lieux" in erreur and "1 sans position" in erreur
    index = (sortie / "index.html").read_text()
    assert "tile.openstreetmap.org" not in index and 'id="filtre-frais"' in index and 'id="filtre-publics"' not in index
    assert (sortie / "logo.png").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--couleur", "bleu"], "hexadécimale"),
        (["--filtres", "services,age"], "Filtre inconnu"),
        (["--logo", "/nulle/part.png"], "Logo introuvable"),
    ],
)
def test_cli_erreurs_en_francais(tmp_path, capsys, cli_avec_commande, arguments, message):
    code = cli_avec_commande(["carte-locale", "-t", "commune:29019", "--sortie", str(tmp_path / "s"), *arguments])
    erreur = capsys.readouterr().err
    assert code == 1 and erreur.startswith("Erreur : ") and message in erreur
    assert "Traceback" not in erreur and not (tmp_path / "s").exists()


def test_cli_sans_sortie(capsys, cli_avec_commande):
    assert cli_avec_commande(["carte-locale", "-t", "commune:29019"]) == 1
    assert "--sortie DOSSIER" in capsys.readouterr().err


# --- page ------------------------------------------------------------------------------------------


def test_page_carte_integrer(brest, monkeypatch):
    from streamlit.testing.v1 import AppTest

    racine = Path(__file__).parents[1]
    monkeypatch.syspath_prepend(str(racine))  # the page imports ui.py from the repository root

    from diagnostics.sources.base import Lieux
    from ui import Contexte

    at = AppTest.from_file(str(racine / "pages" / "carte_integrer.py"), default_timeout=60)
    at.session_state["contexte"] = Contexte(
        territoire=brest, source="fichier", resultat=Lieux(lieux=_lieux(), source=SOURCE), cle_session="test"
    )
    at.run()
    assert not at.exception and not at.error
    apercu = next(e for e in at.get("iframe"))
    assert "window.CARTE_LOCALE" in apercu.proto.srcdoc and "&lt;img" not in at.title[0].value
    assert "2 lieux du territoire, dont 1 sans position" in at.markdown[1].value
    codes = [c.value for c in at.code]
    assert codes[0].startswith("<iframe") and 'territoires="29019"' in codes[1]
    assert not at.info

    at.color_picker[0].set_value("#ffeb3b").run()
    assert len(at.info) == 2 and "couleur principale #ffeb3b" in at.info[0].value and "écrits en noir" in at.info[0].value
    at.text_input[2].set_value("javascript:alert(1)").run()
    assert at.error and "https://" in at.error[0].value
