"""Territory columns of the places for spreadsheet users (as Mon Inclusion Numérique's export carries
them): commune, EPCI, département, région, in a QPV, FRR commune. The standard's own CSV never has them.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..exports import neutraliser
from ..indicators import priorites
from ..indicators.distances import communes_projetees
from ..standard.fields import CODE_COMMUNE, field_names
from ..standard.io import records
from .fichiers import xlsx_classeur

# Column → what it holds (French), also the second sheet of the XLSX.
COLONNES = {
    "code_commune_2026": "Commune du lieu (code INSEE 2026).",
    "code_epci": "EPCI de la commune (SIREN, 2026).",
    "code_departement": "Département de la commune.",
    "code_region": "Région de la commune.",
    "en_qpv": "« oui » si le point du lieu est dans un quartier prioritaire (QPV 2024, contours simplifiés : "
    "approximatif près des limites), « non », « non situé » si la position est celle du centre de la commune.",
    "qpv": "Code et nom du QPV qui contient le lieu.",
    "commune_frr": "« oui » si la commune est classée ou bénéficiaire France Ruralités Revitalisation "
    "(classement au 10 juillet 2025), « non » sinon, vide sans commune connue.",
    "classement_frr": "Classement FRR de la commune au 10 juillet 2025.",
}
# Headers shown in the dashboard's places table.
EN_QPV, COMMUNE_FRR = "En QPV", "Commune FRR"


def _oui_non(valeurs: pd.Series, inconnu: str) -> np.ndarray:
    return np.select(
        [valeurs.eq(True).fillna(False).to_numpy(dtype=bool), valeurs.eq(False).fillna(False).to_numpy(dtype=bool)],
        ["oui", "non"], inconnu,
    ).astype(object)


def colonnes_territoire(lieux: pd.DataFrame) -> pd.DataFrame:
    """The columns of COLONNES for each place (same row order, default index)."""
    zl = priorites.zonage_lieux(lieux).reset_index(drop=True)
    codes = lieux[CODE_COMMUNE].astype(str).to_numpy(dtype=object)
    ref = communes_projetees()
    positions = ref.index.get_indexer(pd.Index(codes, dtype=object))
    connue = positions >= 0

    def attribut(nom: str) -> np.ndarray:
        valeurs = ref[nom].to_numpy(dtype=object)
        return np.where(connue, valeurs[np.maximum(positions, 0)], "")

    qpv = np.where(zl["code_qp"] != "", zl["code_qp"] + " " + zl["lib_qp"], "")
    return pd.DataFrame(
        {
            "code_commune_2026": codes,
            "code_epci": attribut("epci"),
            "code_departement": attribut("dep"),
            "code_region": attribut("reg"),
            "en_qpv": _oui_non(zl["en_qpv"], "non situé"),
            "qpv": qpv.astype(object),
            "commune_frr": _oui_non(zl["commune_frr"], ""),
            "classement_frr": zl["classement_frr"].to_numpy(dtype=object),
        }
    )


def lieux_avec_territoire(lieux: pd.DataFrame) -> pd.DataFrame:
    """The standard's 32 fields (as text and numbers) followed by the territory columns."""
    standard = pd.DataFrame(records(lieux), columns=list(field_names()))
    return pd.concat([standard, colonnes_territoire(lieux)], axis=1)


def csv_lieux_territoire(lieux: pd.DataFrame) -> str:
    """The places with territory columns as CSV (`,`, UTF-8, the standard's columns first), text cells that a
    spreadsheet would run as formulas neutralised: meant for a spreadsheet, not for the standard's consumers."""
    table = lieux_avec_territoire(lieux)
    for colonne in table.columns:
        if table[colonne].dtype == object or pd.api.types.is_string_dtype(table[colonne]):
            table[colonne] = table[colonne].map(neutraliser)
    tampon = io.StringIO()
    table.to_csv(tampon, index=False, lineterminator="\n")
    return tampon.getvalue()


def xlsx_lieux_territoire(lieux: pd.DataFrame) -> bytes:
    """Spreadsheet: the places with territory columns, and a sheet describing those columns."""
    description = pd.DataFrame({"Colonne": list(COLONNES), "Contenu": list(COLONNES.values())})
    return xlsx_classeur({"lieux": lieux_avec_territoire(lieux), "colonnes_territoire": description})


def colonnes_affichage(lieux: pd.DataFrame) -> pd.DataFrame:
    """"En QPV" and "Commune FRR" for the dashboard's places table (same row order)."""
    c = colonnes_territoire(lieux)
    frr = np.where(c["commune_frr"] == "oui", "oui (" + c["classement_frr"] + ")", c["commune_frr"])
    return pd.DataFrame({EN_QPV: c["en_qpv"].to_numpy(), COMMUNE_FRR: frr.astype(object)})
