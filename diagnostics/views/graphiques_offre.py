"""Figures, tables and downloadable files of the "Offre de services", "Qualité des données" and "Lieux"
pages: pure functions of places frames and diagnostic summaries, no Streamlit, so tests reach them.

Plotly reads `<b>`, `<a href>`… in labels as HTML: every text that comes from the data is escaped
before it enters a figure, and never put in a hover template (whose `%{…}` would be evaluated).
"""
from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import reference
from ..indicators import distances, offre
from ..indicators.qualite import CLASSES_FRAICHEUR, SEUILS_FRAICHEUR_MOIS
from ..standard.fields import CODE_COMMUNE, LIST_SEPARATOR
from ..territories import normalize_name
from .format import km, nombre, pourcentage

BLEU = "#000091"
GRIS = "#929292"
ORANGE = "#b34000"
ROUGE = "#ce0500"
COULEURS_FRAICHEUR = dict(zip(CLASSES_FRAICHEUR, ("#18753c", "#e4b400", "#fa7a35", ROUGE)))
_SEPARATEURS = ",\u202f"  # plotly's decimal and thousands separators: French
_POURCENT = "\u202f%"

# Short codes of diagnostics.indicators.qualite.a_faire → French labels for filters.
LIBELLES_PROBLEMES = {
    "date_ancienne": "Fiche non mise à jour depuis plus de 18 mois",
    "date_absente": "Date de mise à jour absente ou fictive",
    "date_future": "Date de mise à jour dans le futur",
    "position_manquante": "Coordonnées manquantes",
    "position_approximative": "Position approximative (centre de la commune)",
    "position_hors_commune": "Position hors de la commune",
    "telephone_invalide": "Téléphone au format non standard",
    "courriel_invalide": "Courriel invalide",
    "site_web_invalide": "Site web invalide",
    "prise_rdv_invalide": "Lien de prise de rendez-vous invalide",
    "acceslibre_invalide": "Lien Acceslibre invalide",
    "horaires_illisibles": "Horaires illisibles",
    "horaires_sans_ouverture": "Horaires sans aucune ouverture",
    "fiche_incomplete": "Fiche incomplète",
    "doublon_probable": "Doublon probable",
}

# Filters of the "Lieux" page: field → French label.
FILTRES_LIEUX = {
    "services": "Services",
    "publics_specifiquement_adresses": "Publics spécifiquement adressés",
    "frais_a_charge": "Frais à charge",
    "dispositif_programmes_nationaux": "Dispositifs nationaux",
}
COMMUNE_INCONNUE = "Commune inconnue"
_URL_WEB = re.compile(r"^https?://\S+$", re.IGNORECASE)

# Hours open per week: class edges (a readable schedule with no opening at all is a class of its own).
BORNES_HEURES = (0, 10, 20, 30, 40, 50)


def _texte(valeur) -> str:
    """Data text made safe for plotly's HTML-like labels (quotes stay: plotly shows &quot; as is)."""
    return html.escape(str(valeur), quote=False)


def _lieux(n) -> str:
    return f"{nombre(n)} lieu" if n in (0, 1) else f"{nombre(n)} lieux"


def _mise_en_page(fig: go.Figure, titre: str, hauteur: int, sous_titre: str = "") -> go.Figure:
    fig.update_layout(
        title={"text": _texte(titre), "subtitle": {"text": _texte(sous_titre)}},
        template="plotly_white",
        separators=_SEPARATEURS,
        height=hauteur,
        margin={"l": 10, "r": 30, "t": 70 if sous_titre else 50, "b": 30},
        showlegend=False,
    )
    return fig


def _barres_horizontales(libelles, valeurs, textes, couleurs, survols, titre_axe: str, pourcent: bool = False) -> go.Figure:
    """Horizontal bars, first row on top; categories are positions so equal labels never merge.
    With `pourcent`, values are percentages: ticks stop at 100 %, the room beyond is for the labels."""
    positions = list(range(len(libelles)))
    fig = go.Figure(
        go.Bar(
            x=list(valeurs), y=positions, orientation="h", text=list(textes), textposition="outside",
            cliponaxis=False, marker_color=list(couleurs), customdata=list(survols),
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    plus_grand = max([v for v in valeurs if v is not None and math.isfinite(v)] or [0])
    fig.update_yaxes(tickvals=positions, ticktext=[_texte(t) for t in libelles], autorange="reversed", automargin=True)
    if pourcent:
        limite = min(max(plus_grand, 1) * 1.3, 125)
        pas = 5 if limite <= 25 else 10 if limite <= 60 else 20
        graduations = list(range(0, int(min(limite, 100)) + 1, pas))
        fig.update_xaxes(range=[0, limite], tickvals=graduations, ticktext=[f"{v}{_POURCENT}" for v in graduations],
                         title=titre_axe)
    else:
        fig.update_xaxes(range=[0, (plus_grand or 1) * 1.3], title=titre_axe)
    return fig


# --- Offer -------------------------------------------------------------------------------------

def figure_profil(profil: Mapping, max_valeurs: int | None = None) -> go.Figure:
    """Horizontal bars of one offer profile (an entry of `resume_offre(...)["profils"]`): the values in
    the standard's order, then values outside the standard, then "Non renseigné", each with its count
    and share of the places. `max_valeurs` keeps only the first values (said in the subtitle)."""
    valeurs = list(profil["valeurs"])
    cachees = 0
    if max_valeurs is not None and len(valeurs) > max_valeurs:
        cachees, valeurs = len(valeurs) - max_valeurs, valeurs[:max_valeurs]
    lignes = [
        (v["libelle"] + (" (hors standard)" if v["hors_standard"] else ""), v["nombre"], v["part"],
         ORANGE if v["hors_standard"] else BLEU)
        for v in valeurs
    ]
    lignes.append((offre.NON_RENSEIGNE, profil["non_renseigne"], profil["part_non_renseigne"], GRIS))
    textes = [f"{nombre(n)} ({pourcentage(p)})" for _, n, p, _ in lignes]
    survols = [f"{_texte(libelle)} : {texte} des lieux" for (libelle, *_), texte in zip(lignes, textes)]
    fig = _barres_horizontales([l[0] for l in lignes], [l[1] for l in lignes], textes, [l[3] for l in lignes],
                               survols, "Nombre de lieux")
    sous_titre = f"Valeurs moins fréquentes non affichées : {nombre(cachees)}" if cachees else ""
    return _mise_en_page(fig, profil["titre"], 90 + 32 * len(lignes), sous_titre)


def figure_zones_blanches_services(zones: Mapping) -> go.Figure:
    """Share of the population living beyond the threshold from any place offering each service
    (`resume_offre(...)["zones_blanches_par_service"]`)."""
    lignes = zones["services"]
    parts = [(l["part_population_au_dela"] if l["part_population_au_dela"] is not None else math.nan) for l in lignes]
    textes = [f"{pourcentage(p)} · {nombre(l['population_au_dela'])} hab." for p, l in zip(parts, lignes)]
    survols = [
        f"{_texte(l['service'])}<br>{_lieux(l['nb_lieux'])} le proposant ; "
        f"{nombre(l['nb_communes_au_dela'])} communes à plus de {km(zones['seuil_km'], 0)}"
        for l in lignes
    ]
    fig = _barres_horizontales([l["service"] for l in lignes], [p * 100 for p in parts], textes,
                               [ROUGE] * len(lignes), survols,
                               "Part de la population", pourcent=True)
    titre = f"Population à plus de {km(zones['seuil_km'], 0)} d'un lieu proposant le service"
    return _mise_en_page(fig, titre, 90 + 32 * len(lignes))


def table_zones_blanches_services(zones: Mapping) -> pd.DataFrame:
    """Per-service white zones as a table with French headers (shares in percent)."""
    lignes = zones["services"]
    return pd.DataFrame(
        {
            "Service": [l["service"] for l in lignes],
            "Lieux le proposant (voisins compris)": [l["nb_lieux"] for l in lignes],
            "dont sans position": [l["nb_lieux_sans_position"] for l in lignes],
            "Population au-delà": [l["population_au_dela"] for l in lignes],
            "Part de la population au-delà (%)": [
                None if l["part_population_au_dela"] is None else round(l["part_population_au_dela"] * 100, 1)
                for l in lignes
            ],
            "Communes au-delà": [l["nb_communes_au_dela"] for l in lignes],
        }
    )


def repartition_heures(heures: pd.Series) -> pd.DataFrame:
    """Places by class of hours open per week (classe, nombre); NaN (no readable hours) left out."""
    valeurs = pd.to_numeric(heures, errors="coerce").dropna().to_numpy(dtype=float)
    libelles = ["Aucune ouverture", f"Moins de {BORNES_HEURES[1]} h"]
    libelles += [f"{a} à {b} h" for a, b in zip(BORNES_HEURES[1:-1], BORNES_HEURES[2:])]
    libelles.append(f"{BORNES_HEURES[-1]} h et plus")
    # Class 0 is "exactly no opening"; np.digitize puts (0, 10) in 1, [10, 20) in 2, …
    classes = np.where(valeurs <= 0, 0, np.digitize(valeurs, BORNES_HEURES[1:]) + 1)
    comptes = np.bincount(classes.astype(int), minlength=len(libelles))
    return pd.DataFrame({"classe": libelles, "nombre": comptes.astype("int64")})


def figure_heures(heures: pd.Series) -> go.Figure:
    """Column chart of the places' hours open per week (reference week), readable hours only."""
    table = repartition_heures(heures)
    total = int(table["nombre"].sum())
    textes = [f"{nombre(n)} ({pourcentage(n / total if total else None)})" for n in table["nombre"]]
    fig = go.Figure(go.Bar(x=table["classe"], y=table["nombre"], text=textes, textposition="outside",
                           cliponaxis=False, marker_color=BLEU, hovertemplate="%{x} : %{text}<extra></extra>"))
    fig.update_yaxes(title="Nombre de lieux", range=[0, max(int(table["nombre"].max()), 1) * 1.25])
    fig.update_xaxes(title="Heures d'ouverture par semaine")
    return _mise_en_page(fig, "Heures d'ouverture par semaine", 380,
                         f"{_lieux(total)} aux horaires exploitables, semaine ordinaire de référence")


def figure_ouvertures(resume: Mapping) -> go.Figure:
    """Shares of the places with readable hours open on Saturday, Sunday, the weekend and in the
    evening (`resume_horaires(...)`)."""
    n = resume["exploitables"]
    lignes = [
        ("Ouverts le samedi", resume["part_ouverts_samedi"]),
        ("Ouverts le dimanche", resume["part_ouverts_dimanche"]),
        ("Ouverts le week-end", resume["part_ouverts_week_end"]),
        (f"Ouverts en soirée (après {resume['heure_soir']} h)", resume["part_ouverts_soir"]),
    ]
    parts = [math.nan if p is None else p for _, p in lignes]
    textes = [f"{pourcentage(p)} ({_lieux(round(p * n))})" if not math.isnan(p) else "—" for p in parts]
    survols = [f"{libelle} : {texte}" for (libelle, _), texte in zip(lignes, textes)]
    fig = _barres_horizontales([l for l, _ in lignes], [0 if math.isnan(p) else p * 100 for p in parts], textes,
                               [BLEU] * len(lignes), survols, "Part des lieux", pourcent=True)
    return _mise_en_page(fig, "Ouvertures le week-end et en soirée", 260,
                         f"Parmi les lieux aux horaires exploitables : {nombre(n)}")


# --- Data quality ------------------------------------------------------------------------------

def libelles_fraicheur() -> dict[str, str]:
    """Freshness class → legend label with its age range in months."""
    a, b, c = SEUILS_FRAICHEUR_MOIS
    textes = (f"moins de {a} mois", f"{a} à {b} mois", f"{b} à {c} mois", f"{c} mois et plus, ou date absente")
    return {classe: f"{classe} ({texte})" for classe, texte in zip(CLASSES_FRAICHEUR, textes)}


def figure_fraicheur(fraicheur: Sequence[Mapping]) -> go.Figure:
    """One stacked bar of the freshness classes (`resume_qualite(...)["fraicheur"]`), green to red."""
    libelles = libelles_fraicheur()
    fig = go.Figure()
    for ligne in fraicheur:
        texte = f"{nombre(ligne['nombre'])} ({pourcentage(ligne['part'])})"
        fig.add_trace(go.Bar(
            x=[ligne["nombre"]], y=["Fiches"], orientation="h", name=_texte(libelles.get(ligne["classe"], ligne["classe"])),
            marker_color=COULEURS_FRAICHEUR.get(ligne["classe"], GRIS), text=[texte], textposition="inside",
            insidetextanchor="middle", customdata=[f"{_texte(ligne['classe'])} : {texte}"],
            hovertemplate="%{customdata}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(showticklabels=False)
    fig.update_xaxes(title="Nombre de lieux")
    _mise_en_page(fig, "Fraîcheur des fiches (date de dernière mise à jour)", 230)
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.5, "traceorder": "normal"})
    return fig


def repartition_completude(scores: pd.Series) -> pd.DataFrame:
    """Places by completeness band of 10 points (borne_inf, borne_sup, nombre); 100 % falls in the last."""
    valeurs = pd.to_numeric(scores, errors="coerce").dropna().clip(0, 100).to_numpy(dtype=float)
    bornes = np.arange(0, 101, 10)
    comptes, _ = np.histogram(valeurs, bins=bornes)
    return pd.DataFrame({"borne_inf": bornes[:-1], "borne_sup": bornes[1:], "nombre": comptes.astype("int64")})


def figure_completude(scores: pd.Series, seuil: float) -> go.Figure:
    """Histogram of the places' completeness (percent), bands under `seuil` in red, with the threshold."""
    table = repartition_completude(scores)
    centres = (table["borne_inf"] + table["borne_sup"]) / 2
    couleurs = [ROUGE if haut <= seuil else BLEU for haut in table["borne_sup"]]
    survols = [f"{nombre(a)} à {nombre(b)}{_POURCENT} : {_lieux(n)}"
               for a, b, n in zip(table["borne_inf"], table["borne_sup"], table["nombre"])]
    fig = go.Figure(go.Bar(x=centres, y=table["nombre"], width=10, marker_color=couleurs,
                           marker_line={"color": "white", "width": 1}, text=[nombre(n) for n in table["nombre"]],
                           textposition="outside", cliponaxis=False, customdata=survols,
                           hovertemplate="%{customdata}<extra></extra>"))
    fig.add_vline(x=seuil, line_dash="dash", line_color="black",
                  annotation_text=f"seuil {nombre(seuil)}{_POURCENT}", annotation_position="top left")
    fig.update_xaxes(title="Complétude de la fiche", range=[0, 100], tickvals=list(range(0, 101, 10)),
                     ticktext=[f"{v}{_POURCENT}" for v in range(0, 101, 10)])
    fig.update_yaxes(title="Nombre de lieux", range=[0, max(int(table["nombre"].max()), 1) * 1.25])
    moyenne = pd.to_numeric(scores, errors="coerce").mean()
    return _mise_en_page(fig, "Complétude des fiches", 360,
                         f"Moyenne {nombre(moyenne, 1)}{_POURCENT} ; en rouge, les fiches sous le seuil de {nombre(seuil)}{_POURCENT}")


def figure_criteres(criteres: pd.DataFrame) -> go.Figure:
    """Share of the places meeting each completeness criterion (columns of `criteres_remplis`, in order)."""
    n = len(criteres)
    parts = [float(criteres[c].mean()) if n else math.nan for c in criteres.columns]
    textes = [pourcentage(p) for p in parts]
    survols = [f"{_texte(c)} : {t} des fiches ({nombre(int(criteres[c].sum()))} sur {nombre(n)})"
               for c, t in zip(criteres.columns, textes)]
    couleurs = [ROUGE if not math.isnan(p) and p < 0.5 else BLEU for p in parts]
    fig = _barres_horizontales(list(criteres.columns), [0 if math.isnan(p) else p * 100 for p in parts], textes,
                               couleurs, survols, "Part des fiches", pourcent=True)
    return _mise_en_page(fig, "Part des fiches qui renseignent chaque critère", 90 + 24 * len(criteres.columns),
                         "En rouge, les critères renseignés par moins de la moitié des fiches")


def table_horaires_illisibles(resume_horaires: Mapping) -> pd.DataFrame:
    """Unreadable opening-hours values (`resume_horaires(...)["valeurs_non_exploitables"]`), French headers."""
    lignes = resume_horaires["valeurs_non_exploitables"]
    return pd.DataFrame(
        {
            "Horaires saisis": [l["valeur"] for l in lignes],
            "Lieux": [l["nombre"] for l in lignes],
            "Erreur": [l["erreur"] for l in lignes],
        }
    )


# Contact fields of `resume_qualite(...)["contacts_invalides"]` → French label.
_CONTACTS = {
    "telephone": "Téléphone au format non standard",
    "courriels": "Courriel invalide",
    "site_web": "Site web invalide",
    "prise_rdv": "Lien de prise de rendez-vous invalide",
    "fiche_acces_libre": "Lien Acceslibre invalide",
}


def table_positions_contacts(resume_qualite: Mapping) -> pd.DataFrame:
    """Counts of position and contact problems (`resume_qualite(...)`): Problème, Lieux."""
    positions = resume_qualite["positions"]
    lignes = [
        ("Coordonnées manquantes (lieu absent de la carte)", positions["manquantes"]),
        ("Position approximative (centre de la commune)", positions["approximatives"]),
        ("Position hors de la commune indiquée", positions["hors_commune"]),
    ]
    lignes += [(_CONTACTS.get(champ, champ), n) for champ, n in resume_qualite["contacts_invalides"].items()]
    return pd.DataFrame(lignes, columns=["Problème", "Lieux"])


def _champ(places: pd.DataFrame, champ: str) -> pd.Series:
    if champ not in places:
        return pd.Series("", index=places.index, dtype=object)
    return places[champ].astype(object).where(places[champ].notna(), "").astype(str).str.strip()


def table_doublons(places: pd.DataFrame, paires: pd.DataFrame | None) -> pd.DataFrame:
    """Duplicate candidates side by side (French headers): both places' id, name, commune and source,
    the resemblance in percent, the distance in metres and the reasons."""
    colonnes = ["Identifiant A", "Lieu A", "Commune A", "Source A", "Identifiant B", "Lieu B", "Commune B",
                "Source B", "Ressemblance (%)", "Distance (m)", "Raisons"]
    if paires is None or not len(paires):
        return pd.DataFrame(columns=colonnes)
    out = {}
    for cote, colonne in (("A", "index_a"), ("B", "index_b")):
        labels = paires[colonne].to_numpy()
        for champ, titre in (("id", "Identifiant"), ("nom", "Lieu"), ("commune", "Commune"), ("source", "Source")):
            out[f"{titre} {cote}"] = _champ(places, champ).reindex(labels).fillna("").to_numpy()
    out["Ressemblance (%)"] = (pd.to_numeric(paires["score"], errors="coerce") * 100).round().astype("Int64").to_numpy()
    out["Distance (m)"] = pd.to_numeric(paires["distance_m"], errors="coerce").round().astype("Int64").to_numpy()
    out["Raisons"] = paires["raisons"].fillna("").astype(str).to_numpy()
    return pd.DataFrame(out, columns=colonnes)


def comptes_problemes(todo: pd.DataFrame) -> dict[str, int]:
    """Places per problem code of a to-do list (`a_faire`), most frequent first."""
    return dict(Counter(code for codes in todo["codes"] for code in str(codes).split("|") if code).most_common())


def libelle_probleme(code: str) -> str:
    return LIBELLES_PROBLEMES.get(code, code)


def filtrer_a_faire(
    todo: pd.DataFrame,
    codes: Iterable[str] = (),
    ou_corriger: Iterable[str] = (),
    code_commune: str | None = None,
) -> pd.DataFrame:
    """Rows of the to-do list having any of `codes`, corrected at any of `ou_corriger`, in
    `code_commune` (an empty choice keeps every row)."""
    garder = pd.Series(True, index=todo.index)
    codes = set(codes)
    if codes:
        garder &= todo["codes"].astype(str).map(lambda texte: bool(codes & set(texte.split("|"))))
    lieux_correction = set(ou_corriger)
    if lieux_correction:
        garder &= todo["ou_corriger"].isin(lieux_correction)
    if code_commune is not None:
        garder &= todo["code_commune"].astype(str) == code_commune
    return todo[garder]


def table_a_faire(todo: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """The to-do list with French headers, the place's source and where to correct it."""
    return pd.DataFrame(
        {
            "Identifiant": todo["id"].to_numpy(),
            "Nom": todo["nom"].to_numpy(),
            "Commune": todo["commune"].to_numpy(),
            "Source": _champ(places, "source").reindex(todo.index).fillna("").to_numpy(),
            "Nombre de problèmes": todo["nb_problemes"].astype("int64").to_numpy(),
            "Problèmes": todo["problemes"].to_numpy(),
            "Où corriger": todo["ou_corriger"].to_numpy(),
        }
    )


# --- Places table --------------------------------------------------------------------------------

def options_filtre(places: pd.DataFrame, champ: str) -> dict[str, str]:
    """Values found in `champ`, in the standard's order, each labelled with its number of places."""
    table = offre.profil(places, champ)
    table = table[(table["valeur"] != "") & (table["nombre"] > 0)]
    return {r.valeur: f"{r.libelle} ({nombre(r.nombre)})" for r in table.itertuples()}


def options_communes(places: pd.DataFrame) -> dict[str, str]:
    """Communes of the places (2026 code → "Nom (code)"), alphabetical; places with no known
    commune under code "" ("Commune inconnue")."""
    codes = _champ(places, CODE_COMMUNE)
    noms = reference.communes().set_index("code")["nom"]
    options = {}
    for code in codes.unique():
        if code:
            nom = noms.get(code) or next(iter(_champ(places, "commune")[codes == code]), "")
            options[code] = f"{nom} ({code})"
    tri = dict(sorted(options.items(), key=lambda item: normalize_name(item[1])))
    inconnues = int((codes == "").sum())
    if inconnues:
        tri[""] = f"{COMMUNE_INCONNUE} ({_lieux(inconnues)})"
    return tri


def filtrer_lieux(
    places: pd.DataFrame,
    choix: Mapping[str, Iterable[str]] | None = None,
    *,
    ouverts: pd.Series | None = None,
    code_commune: str | None = None,
) -> pd.Series:
    """Mask of the places matching the filters: for each field of `choix`, the place offers any of the
    chosen values (no choice: no constraint); open when `ouverts` (nullable booleans, unknown counts
    as not open) is given; in `code_commune` when given ("" for places with no known commune)."""
    garder = pd.Series(True, index=places.index)
    for champ, valeurs in (choix or {}).items():
        valeurs = list(valeurs)
        if valeurs:
            offre_une = pd.Series(False, index=places.index)
            for valeur in valeurs:
                offre_une |= offre.propose(places, champ, valeur)
            garder &= offre_une
    if ouverts is not None:
        garder &= ouverts.reindex(places.index).fillna(False).astype(bool)
    if code_commune is not None:
        garder &= _champ(places, CODE_COMMUNE) == code_commune
    return garder


def _premier_lien(cellule: str) -> str | None:
    for url in cellule.split(LIST_SEPARATOR):
        url = url.strip()
        if _URL_WEB.match(url):
            return url
    return None


def table_lieux(places: pd.DataFrame) -> pd.DataFrame:
    """The places for display: French headers, lists joined with " · ", the first http(s) web site
    (None when there is none: other schemes, such as javascript:, never become links)."""
    adresse = _champ(places, "adresse")
    complement = _champ(places, "complement_adresse")
    code_postal = _champ(places, "code_postal")
    adresse_complete = [
        ", ".join(p for p in (a, c, cp) if p) for a, c, cp in zip(adresse, complement, code_postal)
    ]
    return pd.DataFrame(
        {
            "Nom": _champ(places, "nom").to_numpy(),
            "Commune": _champ(places, "commune").to_numpy(),
            "Adresse": adresse_complete,
            "Services": _champ(places, "services").str.replace(LIST_SEPARATOR, " · ", regex=False).to_numpy(),
            "Horaires": _champ(places, "horaires").to_numpy(),
            "Téléphone": _champ(places, "telephone").to_numpy(),
            "Site web": [_premier_lien(c) for c in _champ(places, "site_web")],
            "Mise à jour": _champ(places, "date_maj").str[:10].to_numpy(),
            "Source": _champ(places, "source").to_numpy(),
        }
    )


def communes_sans_service(territoire, lieux, champ: str, valeur: str, seuil_km: float) -> pd.DataFrame:
    """The territory's communes farther than `seuil_km` from any place of `lieux` (neighbours
    included) offering `valeur` in `champ`, most populated first, French headers; the distance is
    empty when no place offers it at all."""
    codes = list(territoire.codes_communes)
    communes = reference.communes()
    communes = communes[communes["code"].isin(set(codes))][["code", "nom", "population"]]
    loin = offre.communes_eloignees(
        lieux, communes, lambda sous_ensemble: distances.distance_plus_proche_lieu(sous_ensemble, codes),
        champ, valeur, seuil_km,
    )
    distance = loin["distance_km"].replace([np.inf, -np.inf], np.nan).round(1)
    return pd.DataFrame(
        {
            "Code INSEE": loin["code"].to_numpy(),
            "Commune": loin["nom"].to_numpy(),
            "Population": loin["population"].to_numpy(),
            "Distance au plus proche (km)": distance.to_numpy(),
        }
    )


def format_francais(table: pd.DataFrame, decimales: Mapping[str, int], unites: Mapping[str, str] | None = None):
    """The table styled for display with French numbers ("142 346", "4,6 %"; "—" when missing); the
    values stay numbers, so the columns still sort numerically."""
    unites = unites or {}

    def formatter(decimales_colonne: int, unite: str):
        return lambda v: "—" if pd.isna(v) else f"{nombre(float(v), decimales_colonne)}{unite}"

    return table.style.format(
        {col: formatter(d, unites.get(col, "")) for col, d in decimales.items() if col in table.columns}
    )


# --- Files -----------------------------------------------------------------------------------
