"""Coverage views of the dashboard: plotly charts (population within x km, distance distribution, white
zones, priorities, new sites, peers), the tables they are drawn from, the map of suggested sites and
the spreadsheet files of these tables. No Streamlit here: pages only draw what these functions return.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import territories
from ..diagnostic import table_unites
from ..indicators import comparaison as cmp
from ..indicators import fragilite
from ..indicators.distances import communes_choisies
from ..indicators.implantation import ou_ouvrir
from ..places import lieux_embarques
from ..sources.base import SourceIndisponible, SourceInfo
from . import assets
from .carte import carte_territoire
from .format import km, nombre, pourcentage

PRIMAIRE = "#000091"  # the app's primary colour (.streamlit/config.toml)
GRIS = "#B7B7B7"
ROUGE = "#C9191E"
# Okabe–Ito, readable with the common colour-vision deficiencies: one per benchmark curve.
COULEURS_REFERENCES = ("#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
SEPARATEURS = ",\u202f"  # plotly: decimal comma, narrow no-break space for thousands
BORNES_DISTANCES_KM = (2.0, 5.0, 10.0, 15.0, 20.0, 30.0)
SEUIL_MIN_KM, SEUIL_MAX_KM = 1, 30  # the distance threshold slider
MAX_LIGNES_ECRAN = 1000  # rows of a table drawn on screen (the downloads hold them all)
MAX_COMMUNES_CARTE = 1500  # above this, the sites map draws only white zones and sites' communes
PANNEAU_SITES = "sites_proposes"  # Leaflet pane of the sites' circles
MAX_BARRES_NOMMEES = 50  # peers charted one named bar each; beyond, as an unnamed profile

# How a value is shown: entier 12 345, decimal 1,5, part 42,0 %, km 3,2 km, score 0,412, booleen oui/non.
GENRES = ("entier", "decimal", "part", "km", "score", "booleen", "texte")

# Columns of `indicators.par_commune.table_communes` → genre.
GENRES_COMMUNES = {
    "code": "texte",
    "nom": "texte",
    "population": "entier",
    "nb_lieux": "entier",
    "lieux_pour_10000_habitants": "decimal",
    "distance_km": "km",
    "zone_blanche": "booleen",
    "acces_10000": "decimal",
    "ifn": "decimal",
    "classe_ifn": "entier",
    "libelle_ifn": "texte",
    "score_priorite": "score",
    "rang_priorite": "entier",
    "motif_priorite": "texte",
}

# Columns of `ou_ouvrir` → (French label, genre).
COLONNES_SITES = {
    "rang": ("Ordre", "entier"),
    "code": ("Code INSEE", "texte"),
    "nom": ("Commune proposée", "texte"),
    "population_nouvellement_couverte": ("Habitants nouvellement couverts", "entier"),
    "communes_nouvellement_couvertes": ("Communes nouvellement couvertes", "entier"),
    "population_couverte_cumulee": ("Habitants couverts (cumul)", "entier"),
    "part_population_couverte": ("Part de la population couverte (cumul)", "part"),
}


# ---------------------------------------------------------------------------------------------------
# Tables behind the charts


def courbe_couverture(distances, population, *, max_km: float = 30.0, pas_km: float = 0.5) -> pd.DataFrame:
    """Share of the population living at most x km from a place, for x from 0 to `max_km`.

    Parameters
    ----------
    distances : km from each commune to the nearest place; NaN or +inf (no place in the zone) is
        never covered.
    population : inhabitants of each commune, aligned with `distances`.

    Returns
    -------
    Columns distance_km and part_population (0–1, NaN when the population is 0); at x the share is
    that of `distances <= x`, as in the diagnostic's `part_population_a_moins_de`.
    """
    d = np.asarray(distances, dtype=float)
    w = np.nan_to_num(np.asarray(population, dtype=float), nan=0.0)
    d = np.where(np.isnan(d), np.inf, d)
    x = np.round(np.arange(0.0, max_km + pas_km / 2, pas_km), 6)
    ordre = np.argsort(d, kind="stable")
    cumul = np.concatenate([[0.0], np.cumsum(w[ordre])])
    total = cumul[-1]
    couverts = cumul[np.searchsorted(d[ordre], x, side="right")]
    part = couverts / total if total > 0 else np.full(len(x), np.nan)
    return pd.DataFrame({"distance_km": x, "part_population": part})


def courbes_references(territoire, vecteurs: pd.DataFrame, *, max_km: float = 30.0, pas_km: float = 0.5) -> dict:
    """Coverage curves of each parent of `territoire` (EPCI, département, région, France), keyed by label.

    `vecteurs` are per-commune vectors indexed by code with population and distance_km (the
    national `comparaison.references(...).vecteurs`); communes missing from them are left out.
    """
    courbes = {}
    for ident in territoire.parents:
        parent = territories.get(ident)
        membres = vecteurs.reindex(pd.Index(parent.codes_communes)).dropna(subset=["population"])
        courbes[parent.libelle] = courbe_couverture(
            membres["distance_km"], membres["population"], max_km=max_km, pas_km=pas_km
        )
    return courbes


def courbes_nationales(territoire, *, max_km: float = 30.0, pas_km: float = 0.5) -> tuple[dict, SourceInfo | None]:
    """Coverage curves of the parents of `territoire` from the embedded national snapshot, and its source.

    The same national places as the diagnostic's benchmarks (`comparaison.source`), whose vectors
    it caches. ({}, None) for France, which has no parent, or when the snapshot is missing.
    """
    if not territoire.parents:
        return {}, None
    try:
        nationaux = lieux_embarques(territories.get("france"))
    except SourceIndisponible:
        return {}, None
    vecteurs = cmp.references(nationaux.lieux).vecteurs
    return courbes_references(territoire, vecteurs, max_km=max_km, pas_km=pas_km), nationaux.source


def repartition_distances(
    distances, population, rayon_km: float, bornes_km: Sequence[float] = BORNES_DISTANCES_KM
) -> pd.DataFrame:
    """Inhabitants and communes by distance class to the nearest place; `rayon_km` is always a bound.

    Returns
    -------
    One row per class, nearest first: classe (French label), min_km, max_km (inf for the last
    finite class), population, nb_communes, part_population (0–1) and zone_blanche (the class lies
    beyond `rayon_km`). A last class "aucun lieu dans la zone" holds infinite or missing distances
    when there are any, so that the classes always add up to the whole population.
    """
    d = np.asarray(distances, dtype=float)
    w = np.nan_to_num(np.asarray(population, dtype=float), nan=0.0)
    aucun = ~np.isfinite(d)
    bornes = sorted({float(b) for b in bornes_km if b > 0} | {float(rayon_km)})
    bas = [0.0, *bornes]
    haut = [*bornes, math.inf]
    lignes = []
    for i, (b0, b1) in enumerate(zip(bas, haut)):
        dedans = ~aucun & (d <= b1) & ((d > b0) if i else True)
        if i == 0:
            classe = f"{_km_court(b1)} ou moins"
        elif math.isinf(b1):
            classe = f"plus de {_km_court(b0)}"
        else:
            classe = f"{nombre(b0, 0 if b0.is_integer() else 1)} à {_km_court(b1)}"
        lignes.append((classe, b0, b1, w[dedans].sum(), int(dedans.sum()), b0 >= rayon_km))
    if aucun.any():
        lignes.append(("aucun lieu dans la zone", math.inf, math.inf, w[aucun].sum(), int(aucun.sum()), True))
    table = pd.DataFrame(lignes, columns=["classe", "min_km", "max_km", "population", "nb_communes", "zone_blanche"])
    total = w.sum()
    table["part_population"] = table["population"] / total if total > 0 else np.nan
    table["population"] = table["population"].round().astype("int64")
    return table


def parent_comparaison(territoire) -> tuple[territories.Territoire, str]:
    """The unit whose children are compared with `territoire`, and their level.

    A territory is compared with the same-level units of its nearest parent (`territories.peers`):
    the EPCI of its département for an EPCI, the communes of its EPCI for a commune; France with
    its régions.
    """
    if territoire.niveau == "france":
        return territoire, "region"
    if territoire.niveau == "perimetre":
        # Its peers are the user's choice, anywhere: France's places cover them; none, itself alone.
        return (territories.get("france") if territories.peers(territoire) else territoire), "perimetre"
    return territories.get(territoire.parents[0]), territoire.niveau


def table_pairs(territoire, lieux: gpd.GeoDataFrame, *, rayon_km: float = cmp.RAYON_KM) -> pd.DataFrame:
    """Headline figures of `territoire` and its peers, one row per unit (see `diagnostic.table_unites`),
    with a boolean column est_territoire.

    `lieux` must cover the parent (see `parent_comparaison`) and its surroundings, or the peers far
    from the territory look worse served than they are.
    """
    parent, niveau = parent_comparaison(territoire)
    if niveau == "perimetre":
        unites = [territoire, *territories.peers(territoire)]
        table = pd.concat([table_unites(u, lieux, u.niveau, rayon_km=rayon_km) for u in unites], ignore_index=True)
    else:
        table = table_unites(parent, lieux, niveau, rayon_km=rayon_km)
    table["est_territoire"] = (table["id"] == territoire.id).to_numpy()
    return table


def indicateurs_pairs(rayon_km: float, seuils_km: Sequence[float] = cmp.SEUILS_KM) -> dict[str, tuple[str, str]]:
    """Headline figures of `table_pairs` that can be compared → (French label, genre), in display order."""
    rayon = _km_court(rayon_km)
    out = {
        "lieux_pour_10000_habitants": ("Lieux pour 10 000 habitants", "decimal"),
        "nb_lieux": ("Lieux", "entier"),
        "population": ("Population", "entier"),
        "nb_communes": ("Communes", "entier"),
        "part_communes_avec_lieu": ("Part des communes ayant au moins un lieu", "part"),
        "part_population_commune_avec_lieu": ("Part de la population dont la commune a un lieu", "part"),
        "distance_moyenne_km": ("Distance moyenne au lieu le plus proche", "km"),
        "distance_mediane_km": ("Distance médiane au lieu le plus proche", "km"),
    }
    for s in seuils_km:
        out[cmp.colonne_part(s)] = (f"Part de la population à moins de {_km_court(s)}", "part")
    out.update(
        {
            "zones_blanches_nb_communes": (f"Communes en zone blanche (plus de {rayon})", "entier"),
            "zones_blanches_population": (f"Habitants en zone blanche (plus de {rayon})", "entier"),
            "zones_blanches_part_population": (f"Part de la population en zone blanche (plus de {rayon})", "part"),
            "accessibilite_moyenne": ("Accessibilité moyenne (lieux pour 10 000 hab. à portée)", "decimal"),
            "accessibilite_mediane": ("Accessibilité médiane (lieux pour 10 000 hab. à portée)", "decimal"),
            "population_sans_acces": ("Habitants sans lieu à portée", "entier"),
            "population_zone_sans_lieu": ("Habitants d'une zone sans aucun lieu", "entier"),
        }
    )
    return out


def mediane_pairs(table: pd.DataFrame, colonne: str) -> float:
    """Median of `colonne` over the peers (rows that are not the territory), NaN when there is none."""
    valeurs = pd.to_numeric(table.loc[~table["est_territoire"].astype(bool), colonne], errors="coerce")
    valeurs = valeurs[np.isfinite(valeurs.to_numpy(dtype=float))]
    return float(valeurs.median()) if len(valeurs) else math.nan


def table_reperes(diagnostic: dict, colonnes: Iterable[str]) -> pd.DataFrame:
    """The territory beside its parents and its peers' median (the diagnostic's `comparaison` block).

    Returns one row per benchmark (territory first): repere (French label), then `colonnes`
    (names of `table_pairs`; thresholds' shares read from `part_population_a_moins_de`).
    """
    colonnes = list(colonnes)
    bloc = diagnostic.get("comparaison") or {}
    lignes = [(f"Ce territoire : {diagnostic['territoire']['libelle']}", diagnostic)]
    for niveau in ("epci", "departement", "region", "france"):
        if bloc.get(niveau):
            lignes.append((_libelle_repere(niveau, bloc[niveau]), bloc[niveau]))
    if bloc.get("mediane_pairs"):
        pairs = bloc["mediane_pairs"]
        lignes.append((f"Médiane des {pairs['nb_pairs']} territoires comparables", pairs))
    return pd.DataFrame([{"repere": nom, **{c: _figure(f, c) for c in colonnes}} for nom, f in lignes])


def ou_ouvrir_territoire(territoire, table: pd.DataFrame, n: int, rayon_km: float) -> pd.DataFrame:
    """`implantation.ou_ouvrir` over the territory's communes, from its per-commune table
    (`par_commune.table_communes`: code, distance_km)."""
    distances = pd.Series(table["distance_km"].to_numpy(dtype=float), index=table["code"].astype(str).to_numpy())
    return ou_ouvrir(communes_choisies(territoire.codes_communes), distances, n, rayon_km=rayon_km)


def sites_positions(sites: pd.DataFrame) -> pd.DataFrame:
    """`sites` (see `implantation.ou_ouvrir`) with lon, lat of each proposed commune's inner point."""
    ref = communes_choisies(sites["code"].astype(str).tolist())
    return sites.assign(lon=ref["lon"].to_numpy(), lat=ref["lat"].to_numpy())


# ---------------------------------------------------------------------------------------------------
# Formatting


def seuil_depuis_url(texte, defaut: int = int(cmp.RAYON_KM)) -> int:
    """The distance threshold (whole km within the slider's range) read from a URL parameter."""
    try:
        valeur = float(str(texte).replace(",", "."))
    except ValueError:
        return defaut
    if not math.isfinite(valeur):
        return defaut
    return int(min(max(round(valeur), SEUIL_MIN_KM), SEUIL_MAX_KM))


def formater(valeur, genre: str) -> str:
    """`valeur` as French text according to its genre (see GENRES); "—" when missing."""
    if genre not in GENRES:
        raise ValueError(f"Genre de valeur inconnu « {genre} » : choisissez parmi {', '.join(GENRES)}.")
    if valeur is None or valeur is pd.NA or (isinstance(valeur, (float, np.floating)) and np.isnan(valeur)):
        return "—"
    if genre == "texte":
        return str(valeur)
    if genre == "booleen":
        return "oui" if bool(valeur) else "non"
    valeur = float(valeur)
    if genre == "km":
        return km(valeur)
    if genre == "part":
        return pourcentage(valeur, 1)
    if math.isinf(valeur):
        return nombre(valeur)
    return nombre(valeur, {"entier": 0, "decimal": 1, "score": 3}[genre])


def formateurs(genres: Mapping[str, str]) -> dict:
    """Column → function giving its French text (for `Styler.format`)."""
    return {colonne: (lambda v, g=genre: formater(v, g)) for colonne, genre in genres.items()}


def tableau_export(frame: pd.DataFrame, libelles: Mapping[str, str]) -> pd.DataFrame:
    """The columns of `libelles` renamed to their French labels, for a downloaded file.

    Infinite distances become "aucun lieu" (no place in the zone) and booleans "oui"/"non", so the
    file says what the dashboard says.
    """
    out = frame[list(libelles)].copy()
    for colonne in out.columns:
        serie = out[colonne]
        if pd.api.types.is_bool_dtype(serie):
            out[colonne] = serie.map({True: "oui", False: "non"})
        elif pd.api.types.is_float_dtype(serie) and np.isinf(serie.to_numpy(dtype=float)).any():
            out[colonne] = serie.astype(object).where(~np.isinf(serie.to_numpy(dtype=float)), "aucun lieu")
    return out.rename(columns=dict(libelles))


# ---------------------------------------------------------------------------------------------------
# Charts


def figure_courbes(
    courbe_territoire: pd.DataFrame, libelle_territoire: str, references: Mapping[str, pd.DataFrame], rayon_km: float
) -> go.Figure:
    """Share of the population within x km: the territory (bold) against its parents (`courbes_references`)."""
    fig = go.Figure()
    for i, (libelle, courbe) in enumerate(references.items()):
        fig.add_trace(_trace_courbe(courbe, libelle, COULEURS_REFERENCES[i % len(COULEURS_REFERENCES)], 2, "dash"))
    fig.add_trace(_trace_courbe(courbe_territoire, libelle_territoire, PRIMAIRE, 4, "solid"))
    fig.add_vline(
        x=rayon_km, line_dash="dot", line_color=ROUGE,
        annotation_text=f"seuil : {_km_court(rayon_km)}", annotation_position="bottom right",
    )
    _mise_en_page(fig, "Part de la population à moins de x km d'un lieu")
    fig.update_xaxes(
        title_text="Distance au lieu le plus proche (km, à vol d'oiseau)",
        range=[0, float(courbe_territoire["distance_km"].max())],
    )
    fig.update_yaxes(title_text="Part de la population", tickformat=".0%", range=[0, 1.02])
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2}, hovermode="x unified")
    return fig


def figure_distances(repartition: pd.DataFrame, rayon_km: float) -> go.Figure:
    """Inhabitants by distance class (`repartition_distances`); classes beyond the threshold in red."""
    couleurs = [ROUGE if z else PRIMAIRE for z in repartition["zone_blanche"]]
    textes = [pourcentage(p, 1) for p in repartition["part_population"]]
    survol = [
        f"{nombre(p)} habitants ({pourcentage(part, 1)})<br>{nombre(n)} commune{'s' if n > 1 else ''}"
        for p, part, n in zip(repartition["population"], repartition["part_population"], repartition["nb_communes"])
    ]
    fig = go.Figure(
        go.Bar(
            x=repartition["classe"].tolist(), y=repartition["population"].tolist(), marker_color=couleurs,
            text=textes, textposition="outside", customdata=survol,
            hovertemplate="%{x}<br>%{customdata}<extra></extra>", showlegend=False,
        )
    )
    _mise_en_page(fig, "Habitants selon la distance au lieu le plus proche")
    fig.update_layout(title_subtitle_text=f"En rouge : zone blanche, à plus de {_km_court(rayon_km)}")
    fig.update_xaxes(title_text="Distance au lieu le plus proche", type="category")
    fig.update_yaxes(title_text="Habitants", tickformat=",d")
    return fig


def figure_zones_blanches(
    zones: pd.DataFrame | Sequence[Mapping], rayon_km: float, max_communes: int = 20
) -> go.Figure:
    """The most populated white-zone communes (code, nom, population, distance_km) as horizontal bars."""
    colonnes = ["code", "nom", "population", "distance_km"]
    zones = zones[colonnes] if isinstance(zones, pd.DataFrame) else pd.DataFrame(list(zones), columns=colonnes)
    total = len(zones)
    zones = zones.sort_values(["population", "code"], ascending=[False, True]).head(max_communes)
    etiquettes = _etiquettes(zones["nom"], zones["code"])
    survol = [
        f"{nombre(p)} habitants<br>lieu le plus proche : {km(_flottant(d))}"
        for p, d in zip(zones["population"], zones["distance_km"])
    ]
    fig = go.Figure(
        go.Bar(
            x=zones["population"].tolist(), y=etiquettes, orientation="h", marker_color=ROUGE,
            customdata=survol, hovertemplate="%{y}<br>%{customdata}<extra></extra>", showlegend=False,
        )
    )
    titre = f"Communes en zone blanche (aucun lieu à moins de {_km_court(rayon_km)})"
    if total > len(zones):
        titre += f" : les {len(zones)} plus peuplées sur {nombre(total)}"
    _mise_en_page(fig, titre, hauteur=_hauteur(len(zones)))
    fig.update_xaxes(title_text="Habitants", tickformat=",d")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def figure_priorites(table: pd.DataFrame, n: int = 15) -> go.Figure:
    """The `n` first communes of the priority ranking (`table_communes`), coloured by fragility class."""
    classees = table[table["rang_priorite"].notna()].sort_values("rang_priorite").head(n)
    classes = classees["classe_ifn"]
    couleurs = [fragilite.couleur_classe(int(c)) if pd.notna(c) else fragilite.COULEUR_SANS_DONNEE for c in classes]
    survol = [_echapper(m) for m in classees["motif_priorite"].astype(str)]
    fig = go.Figure(
        go.Bar(
            x=classees["score_priorite"].astype(float).tolist(), y=_etiquettes(classees["nom"], classees["code"]),
            orientation="h", marker_color=couleurs, customdata=survol,
            hovertemplate="%{y}<br>score %{x:.3f}<br>%{customdata}<extra></extra>", showlegend=False,
        )
    )
    _mise_en_page(
        fig, f"Les {len(classees)} communes à prioriser (couleur : niveau de fragilité numérique)",
        hauteur=_hauteur(len(classees)),
    )
    fig.update_xaxes(title_text="Score de priorité (0 à 1)", range=[0, 1])
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def figure_sites(sites: pd.DataFrame) -> go.Figure:
    """Inhabitants newly covered by each proposed site (bars) and the covered share after it (line)."""
    etiquettes = [f"{r}. {_echapper(n)}" for r, n in zip(sites["rang"], sites["nom"].astype(str))]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=etiquettes, y=sites["population_nouvellement_couverte"].tolist(), name="Habitants nouvellement couverts",
            marker_color=PRIMAIRE,
            customdata=[f"{nombre(c)} commune{'s' if c > 1 else ''}" for c in sites["communes_nouvellement_couvertes"]],
            hovertemplate="%{x}<br>%{y:,d} habitants, %{customdata}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=etiquettes, y=sites["part_population_couverte"].astype(float).tolist(), yaxis="y2", mode="lines+markers",
            name="Part de la population couverte (cumul)", line={"color": "#E69F00", "width": 3},
            hovertemplate="%{x}<br>%{y:.1%} de la population couverte<extra></extra>",
        )
    )
    _mise_en_page(fig, "Ce qu'apporterait chaque nouveau lieu, dans l'ordre proposé")
    fig.update_layout(
        xaxis={"type": "category"},
        yaxis={"title": {"text": "Habitants nouvellement couverts"}, "tickformat": ",d"},
        yaxis2={
            "title": {"text": "Part couverte (cumul)"}, "overlaying": "y", "side": "right", "tickformat": ".0%",
            "range": [0, 1.05], "tick0": 0, "dtick": 0.25, "showgrid": False,
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.25},
    )
    return fig


def figure_pairs(table: pd.DataFrame, colonne: str, libelle: str, genre: str) -> go.Figure:
    """One indicator over the peers (`table_pairs`): the territory highlighted, the peers' median as a line.

    Up to MAX_BARRES_NOMMEES units get one named horizontal bar each; beyond, the units are drawn as
    a profile of vertical bars (names on hover) with the territory pointed at.
    """
    valeurs = pd.to_numeric(table[colonne], errors="coerce").astype(float)
    ordre = table.assign(_v=valeurs.where(np.isfinite(valeurs))).sort_values(
        ["_v", "nom"], ascending=[False, True], na_position="last"
    )
    est = ordre["est_territoire"].astype(bool).tolist()
    etiquettes = _etiquettes(ordre["nom"], ordre["code"])
    nommees = len(ordre) <= MAX_BARRES_NOMMEES
    barres = {"x": ordre["_v"].tolist(), "y": etiquettes} if nommees else {"x": etiquettes, "y": ordre["_v"].tolist()}
    fig = go.Figure(
        go.Bar(
            **barres, orientation="h" if nommees else "v",
            marker_color=[PRIMAIRE if e else GRIS for e in est],
            text=[formater(v, genre) for v in ordre[colonne]], textposition="auto" if nommees else "none",
            hovertemplate=("%{y}" if nommees else "%{x}") + "<br>%{text}<extra></extra>", showlegend=False,
        )
    )
    mediane = mediane_pairs(table, colonne)
    ligne_mediane = {
        "line_dash": "dash", "line_color": ROUGE, "annotation_text": f"médiane des pairs : {formater(mediane, genre)}"
    }
    axe_categories = {"type": "category"}
    axe_valeurs = {"title_text": _echapper(libelle), "tickformat": _format_axe(genre)}
    if nommees:
        _mise_en_page(fig, _echapper(libelle), hauteur=_hauteur(len(ordre)))
        if math.isfinite(mediane):
            # Anchored above the plot area, so that the label never covers the first bar.
            fig.add_vline(x=mediane, annotation_position="top right", annotation_yanchor="bottom", **ligne_mediane)
        fig.update_yaxes(autorange="reversed", **axe_categories)
        fig.update_xaxes(**axe_valeurs)
        return fig
    _mise_en_page(fig, f"{_echapper(libelle)} ({nombre(len(ordre))} territoires, du plus élevé au plus faible)")
    if math.isfinite(mediane):
        fig.add_hline(y=mediane, annotation_position="top right", **ligne_mediane)
    for position in np.flatnonzero(est):
        fig.add_annotation(
            x=etiquettes[position], y=ordre["_v"].iloc[position], text=etiquettes[position], showarrow=True, arrowhead=2
        )
    fig.update_xaxes(
        showticklabels=False, title_text="Territoires comparés (survolez une barre pour son nom)", **axe_categories
    )
    fig.update_yaxes(**axe_valeurs)
    return fig


# ---------------------------------------------------------------------------------------------------
# Map


def carte_sites(
    territoire,
    sites: pd.DataFrame,
    zones_blanches: Iterable[str],
    rayon_km: float,
    *,
    lieux: gpd.GeoDataFrame | None = None,
    lieux_voisins: gpd.GeoDataFrame | None = None,
    assets_base: str = assets.STREAMLIT_STATIC,
) -> folium.Map:
    """Map of the suggested sites: numbered markers with their `rayon_km` circle, white zones, places.

    Parameters
    ----------
    territoire : the territory (its outline is drawn below the national level; for France only the
        projection zones of the sites are drawn: mainland France, or an overseas département).
    sites : `implantation.ou_ouvrir` result (rang, code, nom, population_nouvellement_couverte…).
    zones_blanches : codes of the white-zone communes (outlined).
    lieux, lieux_voisins : the territory's places and its neighbours' (drawn as on the main map).
    assets_base : URL prefix of static/vendor/ (see `assets`).
    """
    zones = [str(c) for c in zones_blanches]
    codes_sites = sites["code"].astype(str).tolist()
    communes = territories.communes_frame(territoire)
    if len(communes) > MAX_COMMUNES_CARTE:
        # A région or France: 4,000 to 35,000 polygons would weigh megabytes for no use here.
        communes = communes[communes["code"].isin(set(zones) | set(codes_sites))]
    contour = None
    if territoire.niveau == "france":
        # France spans the overseas départements: the map keeps the projection zones of the proposed
        # sites (their white zones and communes), so that it opens on them rather than on the globe.
        zone = communes_choisies(communes["code"].astype(str).tolist())["zone_proj"].to_numpy()
        zones_sites = set(communes_choisies(codes_sites)["zone_proj"])
        communes = communes[np.isin(zone, list(zones_sites))] if zones_sites else communes
        dessinees = set(communes["code"])
        zones = [c for c in zones if c in dessinees]
    else:
        contour = territories.geometry(territoire)
    # The sites come first so that the layer control, which carte_territoire adds last, can list them;
    # their circles sit in their own pane, above the communes' canvas and below the markers.
    m = folium.Map(location=[46.6, 2.4], zoom_start=6, tiles=None, prefer_canvas=True, control_scale=True)
    folium.map.CustomPane(PANNEAU_SITES, z_index=450).add_to(m)
    _couche_sites(sites, rayon_km).add_to(m)
    return carte_territoire(
        lieux, communes[["code", "nom", "geometry"]], contour, zones_blanches=zones, lieux_voisins=lieux_voisins,
        assets_base=assets_base, m=m,
    )


def _couche_sites(sites: pd.DataFrame, rayon_km: float) -> folium.FeatureGroup:
    couche = folium.FeatureGroup(name="Sites proposés", show=True)
    for site in sites_positions(sites).itertuples():
        if not (math.isfinite(site.lon) and math.isfinite(site.lat)):
            continue
        cercle = folium.Circle(
            [site.lat, site.lon], radius=rayon_km * 1000.0, color=PRIMAIRE, weight=2, fill=True,
            fill_color=PRIMAIRE, fill_opacity=0.08,
        )
        # Leaflet options folium does not pass on: a pane of their own, and no clicks caught from the
        # places below.
        cercle.options.update({"pane": PANNEAU_SITES, "interactive": False})
        cercle.add_to(couche)
        texte = (
            f"{int(site.rang)}. {_texte_infobulle(site.nom)} ({_texte_infobulle(site.code)}) : "
            f"{nombre(site.population_nouvellement_couverte)} habitants nouvellement couverts"
        )
        folium.Marker(
            [site.lat, site.lon],
            icon=folium.DivIcon(
                html=(
                    f'<div style="background:{PRIMAIRE};color:#fff;border:2px solid #fff;border-radius:50%;'
                    'width:26px;height:26px;line-height:22px;text-align:center;font:bold 13px sans-serif;'
                    f'box-shadow:0 0 3px rgba(0,0,0,.5)">{int(site.rang)}</div>'
                ),
                icon_size=(26, 26), icon_anchor=(13, 13),
            ),
            tooltip=folium.Tooltip(texte),
        ).add_to(couche)
    return couche


# ---------------------------------------------------------------------------------------------------
# Helpers


def _km_court(x: float) -> str:
    return f"{nombre(x, 0 if float(x).is_integer() else 1)}\u202fkm"


def _flottant(valeur) -> float:
    return math.nan if valeur is None or valeur is pd.NA else float(valeur)


def _echapper(texte: str) -> str:
    # Plotly reads a few HTML tags in labels and hover texts: data must stay plain text.
    return html.escape(str(texte), quote=False)


def _texte_infobulle(texte) -> str:
    # folium writes a tooltip as HTML inside a JavaScript template literal: ` and $ must not reach it.
    return _echapper(texte).replace("`", "&#96;").replace("$", "&#36;")


def _etiquettes(noms: pd.Series, codes: pd.Series) -> list[str]:
    # The code keeps two homonymous communes apart on a category axis.
    return [f"{_echapper(n)} ({_echapper(c)})" for n, c in zip(noms.astype(str), codes.astype(str))]


def _trace_courbe(courbe: pd.DataFrame, libelle: str, couleur: str, largeur: float, trait: str) -> go.Scatter:
    return go.Scatter(
        x=courbe["distance_km"].tolist(), y=courbe["part_population"].astype(float).tolist(), mode="lines",
        name=_echapper(libelle), line={"color": couleur, "width": largeur, "dash": trait},
        hovertemplate="%{y:.1%}<extra>" + _echapper(libelle) + "</extra>",
    )


def _mise_en_page(fig: go.Figure, titre: str, hauteur: int = 420) -> None:
    fig.update_layout(
        title={"text": titre, "x": 0, "xanchor": "left", "font": {"size": 16}},
        separators=SEPARATEURS,
        template="plotly_white",
        height=hauteur,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        font={"family": "Marianne, Arial, sans-serif"},
    )


def _hauteur(n_barres: int) -> int:
    return int(max(300, 26 * n_barres + 120))


def _format_axe(genre: str) -> str:
    return {"part": ".0%", "entier": ",d", "km": ",.1f", "score": ".2f"}.get(genre, ",.1f")


_NIVEAUX_REPERES = {"epci": "EPCI", "departement": "département", "region": "région"}


def _libelle_repere(niveau: str, bloc: Mapping) -> str:
    if niveau == "france":
        return "France"
    return f"{bloc.get('nom', '')} ({_NIVEAUX_REPERES[niveau]})"


def _figure(figures: Mapping, colonne: str):
    if colonne.startswith("part_population_a_moins_de_") and colonne.endswith("_km"):
        cle = colonne.removeprefix("part_population_a_moins_de_").removesuffix("_km")
        return (figures.get("part_population_a_moins_de") or {}).get(cle)
    return figures.get(colonne)
