"""The generated local map opened FROM DISK in headless Chromium with the network cut: the territory's
places only, filters, opening hours, colours and title, no injection, keyboard and phone use."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from diagnostics import territories
from diagnostics.indicators.horaires import ouvert_a
from diagnostics.places import dans_territoire
from diagnostics.sources.base import SourceInfo
from diagnostics.standard.fields import split_list, to_places_frame
from diagnostics.carte_locale import construire_site, options_carte

from app_server import NAVIGATEUR_REQUIS, chromium

MALVEILLANT = "<img src=x onerror=alert(1)>"
# Wednesday 18 March 2026, 10:00 in Paris.
MAINTENANT = datetime(2026, 3, 18, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
COULEUR, SECONDAIRE = "#6a1b9a", "#00695c"
TITRE = "Lieux numériques de Brest & environs"

pytestmark = NAVIGATEUR_REQUIS

DEMARCHES = "Aide aux démarches administratives"
MATERIEL = "Accès internet et matériel informatique"


def _lieux() -> pd.DataFrame:
    base = {"code_postal": "29200", "commune": "Brest", "code_commune_2026": "29019", "date_maj": "2025-01-10"}
    lignes = [
        {"id": "a", "nom": "Maison France services", "latitude": 48.39, "longitude": -4.49, "services": DEMARCHES,
         "frais_a_charge": "Gratuit", "publics_specifiquement_adresses": "Seniors",
         "dispositif_programmes_nationaux": "France Services", "horaires": "Mo-Fr 09:00-17:00"},
        {"id": "b", "nom": "Médiathèque des Capucins", "latitude": 48.385, "longitude": -4.50,
         "services": f"{DEMARCHES}|{MATERIEL}", "frais_a_charge": "Payant", "publics_specifiquement_adresses": "Jeunes",
         "dispositif_programmes_nationaux": "Conseillers numériques", "horaires": "Sa 10:00-12:00"},
        {"id": "c", "nom": "Cyberbase du port", "latitude": 48.38, "longitude": -4.47, "services": MATERIEL,
         "frais_a_charge": "Gratuit", "horaires": "24/7", "prise_rdv": "https://rdv.example.org/c"},
        {"id": "d", "nom": MALVEILLANT, "latitude": 48.40, "longitude": -4.48, "horaires": "quand on peut",
         "site_web": "javascript:alert(2)", "telephone": "+33298000000"},
        {"id": "e", "nom": "Permanence itinérante", "services": DEMARCHES, "frais_a_charge": "Gratuit",
         "horaires": "Mo-Fr 09:00-17:00"},
        # Neighbours and a place of unknown commune: in the loaded frame, not on the territory's map.
        {"id": "q", "nom": "Espace numérique de Quimper", "code_commune_2026": "29232", "commune": "Quimper",
         "latitude": 47.99, "longitude": -4.10, "services": DEMARCHES},
        {"id": "x", "nom": "Lieu sans commune", "code_commune_2026": "", "latitude": 48.39, "longitude": -4.49},
    ]
    return to_places_frame(pd.DataFrame([{**base, **ligne} for ligne in lignes]))


@pytest.fixture(scope="module")
def territoire():
    return territories.resolve("commune:29019")


@pytest.fixture(scope="module")
def sites(tmp_path_factory, territoire):
    source = SourceInfo(nom="fichier", libelle="Fichier de test", date="2025-02-01")
    dossier = tmp_path_factory.mktemp("carte")
    avec = construire_site(
        territoire, _lieux(), source, dossier / "avec",
        options_carte(titre=TITRE, couleur=COULEUR, couleur_secondaire=SECONDAIRE),
    )
    sans = construire_site(
        territoire, _lieux(), source, dossier / "sans", options_carte(fond_de_carte=False, filtres="services")
    )
    return avec, sans


@pytest.fixture(scope="module")
def navigateur():
    with chromium() as browser:
        yield browser


class _Session:
    """A page with every non-file request aborted and recorded, and every dialog or JS error kept."""

    def __init__(self, navigateur, index: Path, **contexte):
        self.externes, self.erreurs, self.dialogues, self.console = [], [], [], []
        self.contexte = navigateur.new_context(timezone_id="Europe/Paris", locale="fr-FR", **contexte)
        self.contexte.route("**/*", self._router)
        self.page = self.contexte.new_page()
        self.page.clock.set_fixed_time(MAINTENANT)
        self.page.on("pageerror", lambda e: self.erreurs.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogues.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        self.page.goto(index.as_uri())
        self.page.wait_for_selector("body[data-pret]", timeout=15000)

    def _router(self, route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            self.externes.append(url)
            route.abort()

    def nombre(self) -> int:
        return int(self.page.get_attribute("body", "data-nombre-lieux"))

    def ids_liste(self) -> set[str]:
        return set(self.page.eval_on_selector_all("#liste button[data-id]", "bs => bs.map(b => b.dataset.id)"))

    def fermer(self):
        self.contexte.close()


@pytest.fixture
def session(navigateur, sites):
    ouvertes = []

    def ouvrir(site, **contexte):
        s = _Session(navigateur, site.index, **contexte)
        ouvertes.append(s)
        return s

    yield ouvrir
    for s in ouvertes:
        s.fermer()


def _propres(territoire) -> pd.DataFrame:
    lieux = _lieux()
    return lieux[dans_territoire(lieux, territoire)]


def test_exactement_les_lieux_du_territoire_sans_requete_exterieure(session, sites, territoire):
    avec, sans = sites
    s = session(sans)
    attendus = set(_propres(territoire)["id"])
    assert attendus == {"a", "b", "c", "d", "e"}
    assert s.nombre() == len(attendus)
    assert s.ids_liste() == attendus  # the whole commune is in view, the place without position is listed too
    assert s.page.locator(".leaflet-marker-icon").count() >= 1
    assert "sans position" in s.page.text_content("#compte")
    assert s.externes == [] and s.erreurs == [] and s.dialogues == []
    assert not [m for m in s.console if "Content Security Policy" in m]
    # Only the chosen filter is offered.
    assert s.page.locator("#filtre-services").count() == 1 and s.page.locator("#filtre-frais").count() == 0

    s = session(avec)
    assert s.nombre() == len(attendus)
    assert s.externes and all(u.startswith("https://tile.openstreetmap.org/") for u in s.externes)


@pytest.mark.parametrize(
    ("selecteur", "champs", "valeur"),
    [
        ("#filtre-services", ["services"], DEMARCHES),
        ("#filtre-services", ["services"], MATERIEL),
        ("#filtre-frais", ["frais_a_charge"], "Gratuit"),
        ("#filtre-publics", ["publics_specifiquement_adresses", "prise_en_charge_specifique"], "Seniors"),
        ("#filtre-dispositifs", ["dispositif_programmes_nationaux"], "Conseillers numériques"),
    ],
)
def test_chaque_filtre_change_le_compte(session, sites, territoire, selecteur, champs, valeur):
    propres = _propres(territoire)
    attendu = sum(any(valeur in split_list(ligne[c]) for c in champs) for _, ligne in propres.iterrows())
    s = session(sites[0])
    s.page.select_option(selecteur, valeur)
    assert 0 < s.nombre() == attendu < len(propres)
    s.page.click("#reinitialiser")
    # Polled from Python: the page's CSP forbids the eval behind wait_for_function(string).
    s.page.locator(f'body[data-nombre-lieux="{len(propres)}"]').wait_for(state="attached", timeout=5000)


def test_horaires_ouvert_maintenant_et_samedi(session, sites, territoire):
    propres = _propres(territoire)
    # The Python evaluator (opening-hours-py) is the reference for the browser's opening_hours.js.
    ouverts = set(propres.loc[ouvert_a(propres, MAINTENANT).fillna(False).astype(bool), "id"])
    assert ouverts == {"a", "c", "e"}
    s = session(sites[0])
    s.page.check("#filtre-ouvert-maintenant")
    assert s.nombre() == len(ouverts)
    assert s.ids_liste() == ouverts
    s.page.uncheck("#filtre-ouvert-maintenant")
    s.page.check("#filtre-ouvert-samedi")
    assert s.ids_liste() == {"b", "c"}
    s.page.fill("#recherche", "capucins")
    assert s.ids_liste() == {"b"}
    assert s.erreurs == []


def test_couleurs_et_titre_appliques(session, sites):
    s = session(sites[0])
    assert s.page.title() == TITRE
    assert s.page.text_content("h1") == TITRE
    fond = s.page.eval_on_selector(".entete", "e => getComputedStyle(e).backgroundColor")
    assert fond == "rgb(106, 27, 154)"
    repere = s.page.eval_on_selector(".repere, .marker-cluster div", "e => getComputedStyle(e).backgroundColor")
    assert repere == "rgb(0, 105, 92)"
    assert "Fichier de test" in s.page.text_content("#pied") and "2025-02-01" in s.page.text_content("#pied")


def test_nom_malveillant_affiche_comme_texte(session, sites):
    s = session(sites[0])
    bouton = s.page.locator('#liste button[data-id="d"]')
    assert bouton.locator(".nom").text_content() == MALVEILLANT
    bouton.click()
    assert s.page.text_content("#detail-nom") == MALVEILLANT
    assert "Horaires non lisibles" in s.page.text_content("#detail")
    assert s.page.locator('img[src="x"]').count() == 0
    assert s.page.locator('a[href^="javascript"]').count() == 0
    assert s.page.locator('a[href="tel:+33298000000"]').count() == 1
    assert s.dialogues == [] and s.erreurs == []


def test_navigation_au_clavier(session, sites):
    s = session(sites[0])
    s.page.keyboard.press("Tab")
    assert s.page.evaluate("document.activeElement.className") == "evitement"
    s.page.keyboard.press("Enter")
    assert s.page.evaluate("document.activeElement.id") == "liste"
    s.page.keyboard.press("Tab")
    premier = s.page.evaluate("document.activeElement.dataset.id")
    assert premier in {"a", "b", "c", "d", "e"}
    s.page.keyboard.press("Enter")
    assert s.page.is_visible("#detail")
    assert s.page.evaluate("document.activeElement.id") == "detail"
    s.page.keyboard.press("Escape")
    assert s.page.is_hidden("#detail")
    assert s.page.evaluate("document.activeElement.dataset.id") == premier


def test_ecran_de_telephone(session, sites):
    s = session(sites[0], viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    largeur = s.page.evaluate("document.documentElement.scrollWidth")
    assert largeur <= 375
    carte = s.page.locator("#carte").bounding_box()
    panneau = s.page.locator(".panneau").bounding_box()
    assert carte["height"] > 200 and carte["width"] >= 360
    assert panneau["y"] >= carte["y"] + carte["height"] - 1  # list below the map
    s.page.locator('#liste button[data-id="a"]').tap()
    assert s.page.is_visible("#detail")


def test_apercu_en_un_seul_fichier(navigateur, territoire):
    """The live preview (everything inline, CSP by hashes) runs, and a name cannot close its script block."""
    from diagnostics.carte_locale import donnees_carte, page_autonome

    lieux = _lieux()
    lieux.loc[lieux["id"] == "a", "nom"] = "</script><script>alert(3)</script>"
    options = options_carte(fond_de_carte=False, couleur=COULEUR)
    html = page_autonome(donnees_carte(territoire, lieux, SourceInfo(nom="f", libelle="F", date=""), options), options)
    page = navigateur.new_page()
    erreurs, dialogues, console = [], [], []
    page.on("pageerror", lambda e: erreurs.append(str(e)))
    page.on("dialog", lambda d: (dialogues.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.set_content(html)
    page.wait_for_selector("body[data-pret]", timeout=15000)
    assert page.get_attribute("body", "data-nombre-lieux") == "5"
    assert page.text_content('#liste button[data-id="a"] .nom') == "</script><script>alert(3)</script>"
    assert erreurs == [] and dialogues == [] and console == []
    page.close()
