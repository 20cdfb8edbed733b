"""Carte à intégrer: the territory's local map for a website — form, live preview, ZIP download, snippets."""
import tempfile
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

import ui
from diagnostics.carte_locale import (
    ParametreInvalide,
    archive_zip,
    construire_site,
    corrections_couleurs,
    donnees_carte,
    extrait_cartographie_nationale,
    extrait_iframe,
    options_carte,
    page_autonome,
    valider_logo,
)
from diagnostics.carte_locale.site import COULEUR_DEFAUT, COULEUR_SECONDAIRE_DEFAUT, FILTRES, titre_par_defaut
from diagnostics.views import fichiers
from diagnostics.views.assets import AssetsIndisponibles
from diagnostics.views.format import nombre

LIBELLES_FILTRES = {"services": "Services", "frais": "Frais", "publics": "Publics", "dispositifs": "Dispositifs"}

ctx = ui.contexte()
t = ctx.territoire
st.title(f"Carte à intégrer — {t.libelle}")
st.markdown(
    "Une carte des seuls lieux du territoire, aux couleurs de votre organisation, à publier sur votre site : "
    "un dossier à déposer sur n'importe quel serveur web (ou à ouvrir depuis le disque), sans appel à un site extérieur "
    "sauf le fond OpenStreetMap si vous le choisissez."
)

gauche, droite = st.columns([1, 2])
with gauche:
    titre = st.text_input("Titre", value=titre_par_defaut(t), max_chars=120)
    c1, c2 = st.columns(2)
    couleur = c1.color_picker("Couleur principale", COULEUR_DEFAUT, help="Fond de la barre de titre et des boutons, sous un texte blanc.")
    secondaire = c2.color_picker("Couleur des repères", COULEUR_SECONDAIRE_DEFAUT, help="Repères et regroupements sur la carte.")
    fichier_logo = st.file_uploader("Logo (PNG, JPEG, WebP ou SVG ; 512 Ko au plus)", type=["png", "jpg", "jpeg", "webp", "svg"])
    filtres = st.multiselect(
        "Filtres proposés", options=list(FILTRES), default=list(FILTRES), format_func=LIBELLES_FILTRES.get,
        help="Les filtres « ouvert maintenant » et « ouvert le samedi » sont toujours proposés.",
    )
    fond = st.toggle(
        "Fond de carte OpenStreetMap", value=False,
        help="Sans fond, seuls les contours des communes sont dessinés et la page ne contacte aucun site extérieur.",
    )

erreurs = []
logo = None
if fichier_logo is not None:
    try:
        logo = valider_logo(fichier_logo.getvalue(), fichier_logo.name)
    except ParametreInvalide as exc:
        erreurs.append(str(exc))
try:
    options = options_carte(
        titre=titre, couleur=couleur, couleur_secondaire=secondaire, logo=logo, filtres=filtres, fond_de_carte=fond
    )
except ParametreInvalide as exc:
    erreurs.append(str(exc))
    options = options_carte(logo=logo, filtres=filtres, fond_de_carte=fond)

with gauche:
    for erreur in erreurs:
        st.error(erreur)
    for correction in corrections_couleurs(options.couleur, options.couleur_secondaire):
        st.info(correction, icon=":material/contrast:")

donnees = ui.memoiser(
    ctx, "carte_locale", (options.titre, options.filtres, options.fond_de_carte),
    lambda: donnees_carte(t, ctx.lieux, ctx.resultat.source, options),
)
sans_position = sum(1 for lieu in donnees["lieux"] if lieu["lat"] is None)

with droite:
    st.markdown(f"**Aperçu** — {nombre(len(donnees['lieux']))} lieux du territoire"
                + (f", dont {nombre(sans_position)} sans position (dans la liste seulement)" if sans_position else ""))
    try:
        components.html(page_autonome(donnees, options), height=640, scrolling=False)
    except AssetsIndisponibles as exc:
        st.error(str(exc))
        st.stop()
    if fond:
        st.caption("Le fond OpenStreetMap s'affiche si cet ordinateur a accès à Internet.")

st.subheader("Télécharger la carte")
with tempfile.TemporaryDirectory() as dossier:
    construire_site(t, ctx.lieux, ctx.resultat.source, Path(dossier) / "carte", options)
    archive = archive_zip(Path(dossier) / "carte")
st.download_button(
    "Télécharger le dossier de la carte (ZIP)", data=archive, file_name=f"carte-{t.id.replace(':', '-')}.zip",
    mime=fichiers.MIMES["zip"], help="Décompressez-le sur votre serveur web : la carte est le fichier index.html.",
)
ui.legende_source(ctx)

st.subheader("Code à coller dans votre site")
adresse = st.text_input("Adresse où la carte sera publiée", value="https://www.exemple.fr/carte/index.html")
st.markdown("Pour un CMS (WordPress, Drupal…), dans un bloc « HTML personnalisé » :")
st.code(extrait_iframe(adresse, options.titre or titre_par_defaut(t)), language="html")

st.subheader("Ou la cartographie nationale, filtrée sur ce territoire")
st.markdown(
    "Si vous préférez le composant officiel de la cartographie nationale (données mises à jour en continu, "
    "chargées depuis les serveurs nationaux) :"
)
logo_url = st.text_input("Adresse en ligne de votre logo (https://…), facultatif", value="")
try:
    st.code(
        extrait_cartographie_nationale(
            t, app_name=options.titre, logo_url=logo_url, couleur=options.couleur, couleur_secondaire=options.couleur_secondaire
        ),
        language="html",
    )
except ParametreInvalide as exc:
    st.error(str(exc))
if t.niveau == "epci":
    st.caption(f"Un EPCI y est décrit par la liste de ses {len(t.codes_communes)} communes (codes INSEE).")
