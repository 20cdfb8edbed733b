"""What changed in a territory's offer between two pictures of its places: openings, closures, moves,
field-by-field changes, communes entering or leaving white zones, and the headline figures then and now.

Both pictures arrive as canonical places frames (every source is normalised to the v1.0.2 standard on
reading, so a v0 → v1 change of vocabulary is no change of offer). Places are matched by `id`, then by
the duplicate rule of data quality (`standard.rapprochement.apparier`); each match says how it was made.
Only the places of the territory itself are compared; the neighbours within the buffer still count
for distances, as in every diagnostic.

Keys of `Evolution.to_json()`: `territoire`; `avant`, `apres` ({source, libelle, date, nb_lieux and the
headline figures of `INDICATEURS`}); `indicateurs` ([{cle, libelle, avant, apres, difference}]);
`ouverts`, `fermes` ([{id, nom, commune, code_commune, dispositifs, typologies}]); `deplaces` (the same
with `distance_m`, `avant` and `apres` positions); `modifies` ([{id, nom, commune, appariement,
champs: [{champ, famille, avant, apres}]}]); `appariement` (counts by method); `par_dispositif`,
`par_typologie` ([{dispositif|typologie, ouverts, fermes, deplaces, modifies}]);
`communes_devenues_zones_blanches`, `communes_sorties_des_zones_blanches` ([{code, nom, population,
distance_km}]); `rayon_km`; `avertissements`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from . import perimetres, territories
from .dates import date_courte
from .diagnostic import accord, diagnostic, valeurs_json
from .indicators import qualite
from .places import dans_territoire
from .sources.base import Lieux
from .standard.fields import CODE_COMMUNE, POSITION_APPROX, split_list, typologie_labels
from .standard import v0
from .standard.rapprochement import apparier, champ_different, coordonnees, distances_m, texte_position

DEPLACEMENT_M = 200.0  # a matched place whose precise position moved farther than this has moved
SANS_DISPOSITIF = "Aucun dispositif déclaré"
SANS_TYPOLOGIE = "Typologie non renseignée"
OUVERT, FERME, DEPLACE, MODIFIE = "ouvert", "fermé", "déplacé", "modifié"

# Fields compared, by the family a steering committee reads them in. Left out on purpose: `id` (how
# places are matched), `source` and `date_maj` (metadata: freshness is a headline figure), latitude and
# longitude (moves are their own list).
FAMILLES: dict[str, tuple[str, ...]] = {
    "services": ("services",),
    "horaires": ("horaires",),
    "publics": ("publics_specifiquement_adresses", "prise_en_charge_specifique"),
    "contacts": ("telephone", "courriels", "site_web", "prise_rdv"),
    "dispositif": ("dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels"),
    "accueil": ("frais_a_charge", "modalites_acces", "modalites_accompagnement", "itinerance", "fiche_acces_libre"),
    "identité": (
        "nom", "adresse", "complement_adresse", "code_postal", "commune", "code_insee", "typologie", "pivot",
        "structure_parente", "presentation_resume", "presentation_detail",
    ),
}
FAMILLE_DU_CHAMP = {champ: famille for famille, champs in FAMILLES.items() for champ in champs}

# Headline figures before and after: key → French label.
INDICATEURS: dict[str, str] = {
    "nb_lieux": "Lieux dans le territoire",
    "lieux_pour_10000_habitants": "Lieux pour 10 000 habitants",
    "population_a_moins_de_5_km": "Habitants à moins de 5 km d'un lieu",
    "population_a_moins_de_10_km": "Habitants à moins de 10 km d'un lieu",
    "population_a_moins_de_15_km": "Habitants à moins de 15 km d'un lieu",
    "population_a_moins_de_20_km": "Habitants à moins de 20 km d'un lieu",
    "zones_blanches_nb_communes": "Communes en zone blanche",
    "zones_blanches_population": "Habitants en zone blanche",
    "accessibilite_moyenne": "Accessibilité moyenne (E2SFCA, lieux pour 10 000 habitants à portée)",
    "distance_moyenne_km": "Distance moyenne au lieu le plus proche (km)",
    "part_fiches_a_jour": "Part des fiches à jour (moins de 6 mois à la date de la photo)",
}
SEUILS_KM = (5.0, 10.0, 15.0, 20.0)
_RESUME = ["id", "nom", "commune", "code_commune", "dispositifs", "typologies"]


@dataclass
class Evolution:
    """Result of `comparer`. Tables hold French column names, ready to show or download."""

    territoire: dict
    avant: dict
    apres: dict
    indicateurs: pd.DataFrame  # cle, libelle, avant, apres, difference
    ouverts: pd.DataFrame  # _RESUME columns + latitude, longitude
    fermes: pd.DataFrame
    deplaces: pd.DataFrame  # _RESUME + distance_m, latitude_avant, longitude_avant, latitude, longitude
    modifications: pd.DataFrame  # paire (row of `appariements`), _RESUME, appariement, champ, famille, avant, apres
    appariements: pd.DataFrame  # index_avant, index_apres, id_avant, id_apres, score, methode
    par_dispositif: pd.DataFrame  # dispositif, ouverts, fermes, deplaces, modifies
    par_typologie: pd.DataFrame  # typologie, ouverts, fermes, deplaces, modifies
    communes_devenues_zones_blanches: pd.DataFrame  # code, nom, population, distance_km
    communes_sorties_des_zones_blanches: pd.DataFrame
    rayon_km: float
    avertissements: list[str] = field(default_factory=list)

    @property
    def nb_modifies(self) -> int:
        return int(self.modifications["paire"].nunique()) if len(self.modifications) else 0

    def resume(self) -> list[str]:
        """French sentences with the counts, for a page, a report or the terminal."""
        a, b = self.avant, self.apres
        return [
            f"{accord(a['nb_lieux'], 'lieu', 'lieux')} le {date_courte(a['date'])} → "
            f"{accord(b['nb_lieux'], 'lieu', 'lieux')} le {date_courte(b['date'])}",
            f"{accord(len(self.ouverts), 'lieu ouvert', 'lieux ouverts')}, {accord(len(self.fermes), 'fermé', 'fermés')}, "
            f"{accord(len(self.deplaces), 'déplacé', 'déplacés')} (plus de {DEPLACEMENT_M:.0f} m), "
            f"{accord(self.nb_modifies, 'modifié', 'modifiés')}",
            f"{accord(len(self.communes_devenues_zones_blanches), 'commune devenue zone blanche', 'communes devenues zones blanches')}, "
            f"{accord(len(self.communes_sorties_des_zones_blanches), 'sortie', 'sorties')} des zones blanches "
            f"(rayon {self.rayon_km:g} km)",
        ]

    def tableau_changements(self) -> pd.DataFrame:
        """Every change as one row: type, id, nom, commune, dispositifs, typologies, famille, champ, avant, apres."""
        colonnes = ["type", "id", "nom", "commune", "code_commune", "dispositifs", "typologies", "famille", "champ",
                    "avant", "apres", "appariement"]
        parts = [
            self.ouverts.assign(type=OUVERT),
            self.fermes.assign(type=FERME),
            self.deplaces.assign(
                type=DEPLACE, famille="position", champ="position (latitude, longitude)",
                avant=[texte_position(la, lo) for la, lo in zip(self.deplaces["latitude_avant"], self.deplaces["longitude_avant"])],
                apres=[texte_position(la, lo) for la, lo in zip(self.deplaces["latitude"], self.deplaces["longitude"])],
            ),
            self.modifications.assign(type=MODIFIE),
        ]
        table = pd.concat([p.reindex(columns=colonnes) for p in parts], ignore_index=True)
        return table.fillna("").astype({"avant": str, "apres": str})

    def to_json(self) -> dict:
        modifies = [
            {
                "id": groupe["id"].iat[0], "nom": groupe["nom"].iat[0], "commune": groupe["commune"].iat[0],
                "appariement": groupe["appariement"].iat[0],
                "champs": groupe[["champ", "famille", "avant", "apres"]].to_dict(orient="records"),
            }
            for _, groupe in self.modifications.groupby("paire", sort=False)
        ]
        return valeurs_json({
            "territoire": self.territoire,
            "avant": self.avant,
            "apres": self.apres,
            "indicateurs": self.indicateurs.to_dict(orient="records"),
            "ouverts": self.ouverts.to_dict(orient="records"),
            "fermes": self.fermes.to_dict(orient="records"),
            "deplaces": self.deplaces.to_dict(orient="records"),
            "modifies": modifies,
            "appariement": self.appariements["methode_courte"].value_counts().to_dict() if len(self.appariements) else {},
            "par_dispositif": self.par_dispositif.to_dict(orient="records"),
            "par_typologie": self.par_typologie.to_dict(orient="records"),
            "communes_devenues_zones_blanches": self.communes_devenues_zones_blanches.to_dict(orient="records"),
            "communes_sorties_des_zones_blanches": self.communes_sorties_des_zones_blanches.to_dict(orient="records"),
            "rayon_km": self.rayon_km,
            "avertissements": self.avertissements,
        })


def comparer(territoire, avant: Lieux, apres: Lieux, *, rayon_km: float = 10.0, seuil: float = 0.8) -> Evolution:
    """Compare two pictures (`Lieux`) of `territoire` (a Territoire or an identifier).

    Parameters
    ----------
    avant, apres : the older and the newer picture (places of the territory and its neighbours).
    rayon_km : white-zone radius (a commune with no place within it is a white zone).
    seuil : minimum duplicate score for two places with different ids to be the same place.
    """
    t = territoire if isinstance(territoire, territories.Territoire) else perimetres.resoudre(str(territoire))
    a = _dans(avant.lieux, t)
    b = _dans(apres.lieux, t)
    avertissements = []
    date_a, date_b = _jour(avant.source.date), _jour(apres.source.date)
    if date_a and date_b and date_a > date_b:
        avertissements.append(
            f"La photo « avant » ({date_courte(date_a)}) est plus récente que la photo « après » ({date_courte(date_b)}) : "
            "les ouvertures et fermetures se lisent à l'envers."
        )

    paires = apparier(a, b, seuil)
    ia, ib = paires["index_a"].to_numpy(dtype=int), paires["index_b"].to_numpy(dtype=int)
    appariements = pd.DataFrame({
        "index_avant": ia, "index_apres": ib,
        "id_avant": a["id"].to_numpy()[ia], "id_apres": b["id"].to_numpy()[ib],
        "score": paires["score"].to_numpy(), "methode": paires["methode"].to_numpy(),
    })
    appariements["methode_courte"] = np.where(
        appariements["methode"] == "même identifiant", "même identifiant", "règle des doublons"
    )
    ouverts = _resume(b.drop(index=ib), positions=True)
    fermes = _resume(a.drop(index=ia), positions=True)
    deplaces = _deplaces(a, b, ia, ib)
    par_classe = ("services",) if "services" in avant.champs_v0 | apres.champs_v0 else ()
    modifications, precisions = _modifications(a, b, appariements, par_classe)
    if precisions:
        avertissements.append(
            f"{precisions} lieux ont des services qui ne diffèrent que par la conversion du standard v0 "
            "(« Approfondir ma culture numérique » devient une à trois valeurs v1 selon l'outil) : "
            "ce n'est pas compté comme un changement de l'offre."
        )

    diag_a = _figures(t, avant, a, date_a, rayon_km)
    diag_b = _figures(t, apres, b, date_b, rayon_km)
    blanches_a = {z["code"]: z for z in diag_a.pop("_zones_blanches")}
    blanches_b = {z["code"]: z for z in diag_b.pop("_zones_blanches")}
    devenues = _communes([blanches_b[c] for c in blanches_b.keys() - blanches_a.keys()])
    sorties = _communes([blanches_a[c] for c in blanches_a.keys() - blanches_b.keys()])

    return Evolution(
        territoire={"id": t.id, "nom": t.nom, "libelle": t.libelle},
        avant=diag_a,
        apres=diag_b,
        indicateurs=_indicateurs(diag_a, diag_b),
        ouverts=ouverts,
        fermes=fermes,
        deplaces=deplaces,
        modifications=modifications,
        appariements=appariements,
        par_dispositif=_par(ouverts, fermes, deplaces, modifications, "dispositifs", "dispositif"),
        par_typologie=_par(ouverts, fermes, deplaces, modifications, "typologies", "typologie"),
        communes_devenues_zones_blanches=devenues,
        communes_sorties_des_zones_blanches=sorties,
        rayon_km=float(rayon_km),
        avertissements=avertissements + diag_a.pop("_avertissements") + diag_b.pop("_avertissements"),
    )


def _dans(lieux: pd.DataFrame, t) -> pd.DataFrame:
    return lieux[dans_territoire(lieux, t).to_numpy()].drop(columns="geometry", errors="ignore").reset_index(drop=True)


def _jour(valeur: str) -> str:
    return str(valeur or "")[:10]


def _figures(t, lieux: Lieux, dedans: pd.DataFrame, jour: str, rayon_km: float) -> dict:
    """Headline figures of one picture (`dedans`: its places in the territory), its white zones
    (`_zones_blanches`) and warnings (`_avertissements`)."""
    d = diagnostic(t, lieux.lieux, lieux.source, rayon_km=rayon_km, seuils_km=SEUILS_KM, parties=())
    population = d["population"] or 0
    try:
        reference = date.fromisoformat(jour)
    except ValueError:
        reference = None
    a_jour = qualite.fraicheur(dedans, reference).eq(qualite.A_JOUR) if len(dedans) else pd.Series(dtype=bool)
    figures = {
        "source": lieux.source.nom,
        "libelle": lieux.source.libelle,
        "date": jour,
        "nb_lieux": d["nb_lieux"],
        "lieux_pour_10000_habitants": d["lieux_pour_10000_habitants"],
        **{
            f"population_a_moins_de_{s:g}_km": _arrondi(d["part_population_a_moins_de"].get(f"{s:g}"), population)
            for s in SEUILS_KM
        },
        "zones_blanches_nb_communes": d["zones_blanches_nb_communes"],
        "zones_blanches_population": d["zones_blanches_population"],
        "accessibilite_moyenne": d["accessibilite_moyenne"],
        "distance_moyenne_km": d["distance_moyenne_km"],
        "part_fiches_a_jour": round(float(a_jour.mean()), 4) if len(a_jour) else None,
        "_zones_blanches": d["zones_blanches"],
        "_avertissements": [f"{date_courte(jour)} : {texte}" for texte in d["avertissements"]],
    }
    return figures


def _arrondi(part, population: int):
    return None if part is None else int(round(part * population))


def _indicateurs(a: dict, b: dict) -> pd.DataFrame:
    rows = []
    for cle, libelle in INDICATEURS.items():
        va, vb = a.get(cle), b.get(cle)
        diff = None if va is None or vb is None else round(vb - va, 4)
        rows.append({"cle": cle, "libelle": libelle, "avant": va, "apres": vb, "difference": diff})
    return pd.DataFrame(rows)


def _resume(lieux: pd.DataFrame, positions: bool = False) -> pd.DataFrame:
    out = pd.DataFrame({
        "id": lieux["id"].astype(str),
        "nom": lieux["nom"].astype(str),
        "commune": lieux["commune"].astype(str),
        "code_commune": lieux[CODE_COMMUNE].astype(str),
        "dispositifs": lieux["dispositif_programmes_nationaux"].astype(str),
        "typologies": [_typologies(v) for v in lieux["typologie"].astype(str)],
    })
    if positions:
        out["latitude"] = pd.to_numeric(lieux["latitude"], errors="coerce").to_numpy()
        out["longitude"] = pd.to_numeric(lieux["longitude"], errors="coerce").to_numpy()
    return out.reset_index(drop=True)


def _typologies(valeur: str) -> str:
    libelles = typologie_labels()
    return "|".join(libelles.get(code, code) for code in split_list(valeur))


def _deplaces(a: pd.DataFrame, b: pd.DataFrame, ia: np.ndarray, ib: np.ndarray) -> pd.DataFrame:
    lat_a, lon_a = coordonnees(a, ia)
    lat_b, lon_b = coordonnees(b, ib)
    distance = distances_m(lat_a, lon_a, lat_b, lon_b)
    precis = ~(a[POSITION_APPROX].to_numpy(dtype=bool)[ia] | b[POSITION_APPROX].to_numpy(dtype=bool)[ib])
    bouge = precis & (distance > DEPLACEMENT_M)
    out = _resume(b.iloc[ib[bouge]])
    out["distance_m"] = np.round(distance[bouge], 0)
    out["latitude_avant"], out["longitude_avant"] = lat_a[bouge], lon_a[bouge]
    out["latitude"], out["longitude"] = lat_b[bouge], lon_b[bouge]
    return out.sort_values("distance_m", ascending=False, ignore_index=True)


def _modifications(
    a: pd.DataFrame, b: pd.DataFrame, appariements: pd.DataFrame, par_classe: tuple[str, ...]
) -> tuple[pd.DataFrame, int]:
    """One row per changed field of a matched place (compared column by column, not place by place),
    and how many places differ only within a class of `v0.classes_services` in the `par_classe` fields."""
    ia, ib = appariements["index_avant"].to_numpy(dtype=int), appariements["index_apres"].to_numpy(dtype=int)
    resume = _resume(b.iloc[ib])
    resume["appariement"] = appariements["methode"].to_numpy()
    parts, precisions = [], 0
    for champ, famille in FAMILLE_DU_CHAMP.items():
        va, vb, differe = champ_different(a, b, ia, ib, champ)
        if champ in par_classe and differe.any():
            reel = champ_different(a, b, ia, ib, champ, v0.classes_services())[2]
            precisions += int((differe & ~reel).sum())
            differe = reel
        if differe.any():
            part = resume[differe].copy()
            part["champ"], part["famille"] = champ, famille
            part["avant"], part["apres"] = va[differe], vb[differe]
            parts.append(part)
    colonnes = ["paire", *_RESUME, "appariement", "champ", "famille", "avant", "apres"]
    if not parts:
        return pd.DataFrame(columns=colonnes), precisions
    # A place's fields together, places in the order of the matches.
    table = pd.concat(parts).sort_index(kind="stable")
    return table.rename_axis("paire").reset_index()[colonnes], precisions


def _par(ouverts, fermes, deplaces, modifications, colonne: str, nom: str) -> pd.DataFrame:
    """Counts of places by dispositif (or typologie); a place with several counts under each."""
    vide = SANS_DISPOSITIF if colonne == "dispositifs" else SANS_TYPOLOGIE
    modifies = modifications.drop_duplicates("paire") if len(modifications) else modifications
    comptes = {}
    for cle, table in (("ouverts", ouverts), ("fermes", fermes), ("deplaces", deplaces), ("modifies", modifies)):
        valeurs = pd.Series([split_list(v) or [vide] for v in table[colonne].astype(str)], dtype=object)
        comptes[cle] = valeurs.explode().value_counts() if len(valeurs) else pd.Series(dtype=int)
    out = pd.DataFrame(comptes).fillna(0).astype(int)
    out = out.reindex(columns=["ouverts", "fermes", "deplaces", "modifies"], fill_value=0)
    out = out.rename_axis(nom).reset_index()
    return out.sort_values(["ouverts", "fermes", nom], ascending=[False, False, True], ignore_index=True)


def _communes(zones: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(zones, columns=["code", "nom", "population", "distance_km"])
    return table.sort_values(["population", "code"], ascending=[False, True], ignore_index=True)
