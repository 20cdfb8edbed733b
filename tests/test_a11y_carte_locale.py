"""Accessibility of the generated local map in real Chromium, offline: axe-core (WCAG 2.1 A/AA) on every
state, and what axe cannot check — keyboard-only use, no keyboard trap, visible focus, the list as the
screen reader's map, corrected colours, 200 % zoom, reduced motion — and the accessibility statement."""
from __future__ import annotations

import re

import pytest

import axe
from app_server import NAVIGATEUR_REQUIS, chromium
from diagnostics.carte_locale import accessibilite, contraste

pytestmark = NAVIGATEUR_REQUIS

CLAIRE, CLAIRE_SECONDAIRE = "#ffd400", "#ffe08a"  # a territory's yellow: white text on it would be unreadable


@pytest.fixture(scope="module")
def navigateur():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return axe.construire_carte_auditee(tmp_path_factory.mktemp("a11y") / "carte")


@pytest.fixture(scope="module")
def site_clair(tmp_path_factory):
    return axe.construire_carte_auditee(
        tmp_path_factory.mktemp("a11y") / "claire", couleur=CLAIRE, couleur_secondaire=CLAIRE_SECONDAIRE
    )


@pytest.fixture
def ouvrir(navigateur):
    contextes = []

    def ouvrir(site, **options):
        contexte = navigateur.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
        contexte.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        contextes.append(contexte)
        page = contexte.new_page()
        page.goto(site.index.as_uri())
        page.wait_for_selector("body[data-pret]", timeout=15000)
        return page

    yield ouvrir
    for contexte in contextes:
        contexte.close()


def _actif(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {id: e.id, tag: e.tagName, classe: String(e.className), data: e.dataset ? e.dataset.id || null : null,
                carte: !!e.closest('#carte'), panneau: !!e.closest('.panneau'), pied: !!e.closest('footer'),
                style: s.outlineStyle, largeur: parseFloat(s.outlineWidth), couleur: s.outlineColor}; }"""
    )


def _hex(rgb: str) -> str:
    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _tab_jusqua(page, condition, maximum=80, touche="Tab") -> dict:
    for _ in range(maximum):
        page.keyboard.press(touche)
        actif = _actif(page)
        if condition(actif):
            return actif
    raise AssertionError(f"{touche} n'a pas atteint l'élément attendu en {maximum} appuis (focus sur {_actif(page)})")


# --- axe-core ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("clair", [False, True], ids=["couleurs par défaut", "couleurs claires corrigées"])
def test_aucune_violation_grave_ni_critique(navigateur, site, site_clair, clair):
    resultats = axe.auditer_carte_locale(navigateur, (site_clair if clair else site).index)
    assert len(resultats) == 6
    for nom, violations in resultats.items():
        assert axe.graves(violations) == [], f"{nom} :\n{axe.resume(violations)}"


def test_l_audit_voit_une_violation(navigateur, site, tmp_path):
    """The audit is not blind: a copy of the map whose title bar is unreadable fails it."""
    copie = tmp_path / "copie"
    import shutil

    shutil.copytree(site.dossier, copie)
    (copie / "theme.css").write_text((copie / "theme.css").read_text().replace("--sur-couleur: #ffffff", "--sur-couleur: #3b5f99"))
    resultats = axe.auditer_carte_locale(navigateur, copie / "index.html")
    assert any(v["id"] == "color-contrast" for v in axe.graves(resultats["Accueil, 1280 px"]))


# --- keyboard ----------------------------------------------------------------------------------------

def test_tous_les_filtres_la_liste_et_la_fiche_au_clavier_seul(ouvrir, site):
    page = ouvrir(site, viewport={"width": 1280, "height": 800})
    total = int(page.get_attribute("body", "data-nombre-lieux"))
    _tab_jusqua(page, lambda a: a["id"] == "recherche")
    page.keyboard.type("zzzz")
    assert page.get_attribute("body", "data-nombre-lieux") == "0"
    assert page.text_content("#annonce") == "Aucun lieu ne correspond aux filtres."
    for _ in range(4):
        page.keyboard.press("Backspace")
    assert page.get_attribute("body", "data-nombre-lieux") == str(total)
    # Each select: reached with Tab, changed with the arrow keys; the count is said.
    # The embedded data has no "publics" for Brest: that empty filter is hidden, the three others are used.
    assert page.is_hidden("#filtre-publics") and page.is_hidden('label[for="filtre-publics"]')
    selects = page.eval_on_selector_all("select[data-champ]:not([hidden])", "ss => ss.map(s => s.id)")
    assert selects == ["filtre-services", "filtre-frais", "filtre-dispositifs"]
    for select in selects:
        _tab_jusqua(page, lambda a, s=select: a["id"] == s)
        page.keyboard.press("ArrowDown")
        assert page.eval_on_selector(f"#{select}", "s => s.selectedIndex") == 1
        n = int(page.get_attribute("body", "data-nombre-lieux"))
        assert 0 < n <= total
        assert page.text_content("#annonce") == f"{n} {'lieux correspondent' if n > 1 else 'lieu correspond'} aux filtres."
        page.keyboard.press("ArrowUp")
        assert page.get_attribute("body", "data-nombre-lieux") == str(total)
    for case in ("filtre-ouvert-maintenant", "filtre-ouvert-samedi"):
        _tab_jusqua(page, lambda a, c=case: a["id"] == c)
        page.keyboard.press("Space")
        assert page.is_checked(f"#{case}")
        page.keyboard.press("Space")
    page.keyboard.press("Space")  # Saturday again, then the reset button clears it
    assert page.is_checked("#filtre-ouvert-samedi")
    _tab_jusqua(page, lambda a: a["id"] == "reinitialiser")
    page.keyboard.press("Enter")
    page.locator(f'body[data-nombre-lieux="{total}"]').wait_for(state="attached", timeout=5000)
    assert not page.is_checked("#filtre-ouvert-samedi")
    # The list, a place, its detail, back to the same place in the list.
    lieu = _tab_jusqua(page, lambda a: a["data"] is not None)
    page.keyboard.press("Enter")
    assert page.is_visible("#detail") and _actif(page)["id"] == "detail"
    assert page.text_content("#detail-nom") == page.text_content(f'#liste button[data-id="{lieu["data"]}"] .nom')
    _tab_jusqua(page, lambda a: a["id"] == "fermer-detail", maximum=3)
    page.keyboard.press("Enter")
    assert page.is_hidden("#detail") and _actif(page)["data"] == lieu["data"]


def test_la_carte_ne_retient_pas_le_focus(ouvrir, site):
    page = ouvrir(site, viewport={"width": 1280, "height": 800})
    entree = _tab_jusqua(page, lambda a: a["carte"], maximum=200)
    assert entree["id"] == "carte"  # the map itself first (arrows pan it), then its buttons and markers
    page.keyboard.press("ArrowRight")  # the map's own keys do not move the focus away nor trap it
    assert _actif(page)["id"] == "carte"
    sortie = _tab_jusqua(page, lambda a: not a["carte"], maximum=100)
    assert sortie["pied"]  # next stop after the map: the footer's link
    _tab_jusqua(page, lambda a: a["carte"], maximum=3, touche="Shift+Tab")
    retour = _tab_jusqua(page, lambda a: not a["carte"], maximum=100, touche="Shift+Tab")
    assert retour["panneau"]


def test_un_repere_s_ouvre_au_clavier(ouvrir, site):
    page = ouvrir(site, viewport={"width": 1280, "height": 800})
    # zoom in with the keyboard until single markers show, then Tab to one and open it with Enter
    _tab_jusqua(page, lambda a: a["id"] == "carte", maximum=200)
    for _ in range(4):
        page.keyboard.press("Equal")
    page.wait_for_timeout(400)
    repere = _tab_jusqua(page, lambda a: "repere" in a["classe"], maximum=100)
    assert repere["tag"] == "DIV"
    page.keyboard.press("Enter")
    assert page.is_visible("#detail") and _actif(page)["id"] == "detail"


def test_le_focus_est_toujours_visible(ouvrir, site_clair):
    page = ouvrir(site_clair, viewport={"width": 1280, "height": 800})
    vus = 0
    for _ in range(25):
        page.keyboard.press("Tab")
        actif = _actif(page)
        if actif["tag"] == "BODY":
            continue
        vus += 1
        assert actif["style"] != "none" and actif["largeur"] >= 3, actif
        assert contraste(_hex(actif["couleur"]), "#ffffff") >= 3, actif
    assert vus >= 20


# --- the list as the screen reader's map -------------------------------------------------------------

def test_la_liste_est_une_alternative_structuree(ouvrir, site):
    page = ouvrir(site, viewport={"width": 1280, "height": 800})
    assert page.locator("header h1").count() == 1 and page.locator("main").count() == 1
    assert page.locator("footer").count() == 1 and page.locator("form[role=search]").count() == 1
    assert page.get_by_role("region", name="Carte des lieux").count() == 1
    assert page.get_by_role("heading", level=2, name="Liste des lieux").is_visible()
    assert page.get_by_role("list", name="Liste des lieux").count() == 1
    lieux = page.locator("#liste button[data-id]").count()
    assert lieux > 5 and page.locator("#liste h3 > button[data-id]").count() == lieux
    assert page.get_attribute("#annonce", "aria-live") == "polite"
    assert "correspond" in page.text_content("#annonce")
    aide = page.get_attribute("#carte", "aria-describedby")
    assert "liste des lieux" in page.text_content(f"#{aide}")
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Zoomer"
    # Moving the map updates the visible count but says nothing: only filter changes are announced.
    annonce = page.text_content("#annonce")
    page.focus("#carte")
    page.keyboard.press("Minus")
    page.wait_for_timeout(400)
    assert page.text_content("#annonce") == annonce


# --- colours, zoom, motion ---------------------------------------------------------------------------

def test_couleurs_claires_corrigees_dans_la_page(ouvrir, site_clair):
    assert len(site_clair.avertissements) == 3
    page = ouvrir(site_clair, viewport={"width": 1280, "height": 800})
    couleurs = page.evaluate(
        """() => { const c = s => getComputedStyle(document.querySelector(s));
        return {titre: c('.entete h1').color, barre: c('.entete').backgroundColor, nom: c('#liste .nom').color,
                bouton: c('#reinitialiser').color, fond_bouton: c('#reinitialiser').backgroundColor}; }"""
    )
    assert _hex(couleurs["barre"]) == CLAIRE  # the chosen colour stays where it only decorates
    assert contraste(_hex(couleurs["titre"]), CLAIRE) >= 4.5
    assert contraste(_hex(couleurs["bouton"]), _hex(couleurs["fond_bouton"])) >= 4.5
    assert contraste(_hex(couleurs["nom"]), "#ffffff") >= 4.5


@pytest.mark.parametrize("vue", [{"width": 640, "height": 400}, {"width": 320, "height": 568}], ids=["200 %", "320 px"])
def test_zoom_200_pour_cent_sans_defilement_horizontal(ouvrir, site, vue):
    # A 1280 px wide window at 200 % zoom lays the page out in 640 CSS pixels (WCAG 1.4.4); 320 px is
    # the reflow width of WCAG 1.4.10.
    page = ouvrir(site, viewport=vue)
    assert page.evaluate("document.documentElement.scrollWidth") <= vue["width"]
    for selecteur in ("#recherche", "select[data-champ]", "#reinitialiser", "#liste button[data-id]", "#carte"):
        boite = page.locator(selecteur).first.bounding_box()
        assert boite and boite["x"] >= 0 and boite["x"] + boite["width"] <= vue["width"] + 0.5, selecteur
    assert page.evaluate("(() => { const h = document.querySelector('h1'); return h.scrollWidth <= h.clientWidth; })()")
    page.locator("#liste button[data-id]").first.click()
    assert page.is_visible("#fermer-detail")


def test_texte_agrandi_par_le_lecteur(navigateur, site):
    """Sizes follow the reader's default text size (rem), not fixed pixels."""
    contexte = navigateur.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = contexte.new_page()
        page.goto(site.index.as_uri())
        page.wait_for_selector("body[data-pret]")
        normal = page.eval_on_selector("#recherche", "e => parseFloat(getComputedStyle(e).fontSize)")
        # as a reader's larger default text size does (set through the CSSOM, which the page's CSP allows)
        page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
        assert page.eval_on_selector("#recherche", "e => parseFloat(getComputedStyle(e).fontSize)") == 2 * normal
    finally:
        contexte.close()


@pytest.mark.parametrize("mouvement", ["reduce", "no-preference"])
def test_moins_d_animations_quand_le_systeme_le_demande(ouvrir, site, mouvement):
    page = ouvrir(site, viewport={"width": 1280, "height": 800}, reduced_motion=mouvement)
    classes = page.get_attribute("#carte", "class")
    assert ("leaflet-fade-anim" in classes) == (mouvement == "no-preference")
    assert (page.locator(".leaflet-zoom-animated").count() > 0) == (mouvement == "no-preference")


# --- accessibility statement -------------------------------------------------------------------------

def test_declaration_d_accessibilite(ouvrir, site, navigateur):
    chemin = site.dossier / accessibilite.FICHIER
    assert chemin in site.fichiers
    page = ouvrir(site, viewport={"width": 1280, "height": 800})
    lien = page.get_by_role("link", name="Accessibilité : non conforme")
    assert lien.get_attribute("href") == accessibilite.FICHIER
    lien.click()
    page.wait_for_load_state()
    titres = page.eval_on_selector_all("h1, h2", "hs => hs.map(h => h.textContent)")
    assert titres == [
        "Déclaration d'accessibilité", "État de conformité", "Résultats des tests", "Contenus non accessibles",
        "Établissement de cette déclaration d'accessibilité", "Retour d'information et contact", "Voies de recours",
    ]
    resultats = accessibilite.resultats_audit()
    texte = page.text_content("main")
    assert f"axe-core {resultats['axe_core']}" in texte and resultats["navigateur"] in texte
    assert page.locator("tbody tr").count() == len(resultats["pages"]) == 6
    assert axe.graves(axe.auditer(page)) == []


def test_les_chiffres_de_la_declaration_sont_ceux_d_un_audit_frais(navigateur, site):
    """modele/audit_accessibilite.json (written by `make audit-a11y`) says what the map gives today."""
    resultats = accessibilite.resultats_audit()
    frais = {nom: axe.par_impact(v) for nom, v in axe.auditer_carte_locale(navigateur, site.index).items()}
    assert resultats["pages"] == frais, "relancez `make audit-a11y` pour mettre la déclaration à jour"
    assert resultats["axe_core"] == axe.version_axe()
    assert resultats["navigateur"] == axe.nom_navigateur(navigateur)
