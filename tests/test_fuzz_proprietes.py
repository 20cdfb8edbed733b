"""Property tests (hypothesis) on the readers not covered elsewhere: any bytes given as a file give a
table or FichierIllisible, never another exception nor a hang, and never lose a row; any `horaires`
string gives a status; any text given as a territory gives a Territoire or TerritoireInconnu; any
JSON given as a mapping gives a Correspondance or a French ValueError. The inputs that once crashed
something are kept under fixtures/fuzz_regressions/ and replayed here."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from diagnostics import territories
from diagnostics.indicators import temps_route
from diagnostics.indicators import horaires
from diagnostics.sources.fichier import FichierIllisible, read_table
from diagnostics.sources.geocodage import geocoder
from diagnostics.sources.http import RetryPolicy
from diagnostics.standard.correspondance import Correspondance
from diagnostics.standard.fields import CODE_COMMUNE, to_places_frame

REGRESSIONS = Path(__file__).parent / "fixtures" / "fuzz_regressions"
FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
NOMS = ["lieux.csv", "lieux.json", "lieux.geojson", "lieux.xlsx", "lieux.txt", "sans_extension"]


def _lire(data: bytes, nom: str) -> pd.DataFrame | None:
    """The table, or None when refused with FichierIllisible (a French sentence); anything else fails."""
    try:
        table = read_table(data, nom)
    except FichierIllisible as exc:
        assert str(exc) and str(exc)[0].isupper() and str(exc).rstrip().endswith((".", "»")), str(exc)
        return None
    assert table.shape[0] > 0 and table.shape[1] > 0
    return table


# -- read_table --------------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(NOMS))
def test_random_bytes_give_a_table_or_a_french_refusal(data, nom):
    _lire(data, nom)


# NUL marks a binary file, refused on purpose (test_random_bytes covers it): cells never hold it here.
_cellule = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
_texte_plein = st.text(st.characters(blacklist_categories=["Cs", "Cc", "Z"]), min_size=1, max_size=8)
# The separator is guessed from the header: a header cell that is itself a candidate separator (a
# column named ";" in a comma file) makes any guess ambiguous, so the row-count property only holds
# for headers free of them. Cells may hold anything; other tests cover ambiguous files not crashing.
_entete_sans_separateur = _texte_plein.filter(lambda t: not any(c in t for c in ",;\t|"))


@FUZZ
@given(
    entetes=st.lists(_entete_sans_separateur, min_size=2, max_size=6, unique=True),
    lignes=st.lists(st.lists(_cellule, min_size=1, max_size=7), min_size=1, max_size=15),
    sep=st.sampled_from([";", ",", "\t"]),
    encodage=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_csv_keeps_every_non_blank_row(entetes, lignes, sep, encodage):
    sortie = io.StringIO()
    csv.writer(sortie, delimiter=sep, lineterminator="\r\n").writerows([["nom", *entetes], *lignes])
    table = _lire(sortie.getvalue().encode(encodage), "lieux.csv")
    non_vides = [ligne for ligne in lignes if any(c.strip() for c in ligne)]
    if table is None:
        assert not non_vides  # only a file with nothing under its header is refused
        return
    # The separator is guessed: a row may split differently, but no non-blank row is dropped.
    assert len(table) == len(non_vides)


@FUZZ
@given(st.lists(st.dictionaries(_texte_plein, st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                                           _cellule, st.lists(_cellule, max_size=3)),
                                max_size=5), min_size=1, max_size=12),
       st.sampled_from(["liste", "data", "features"]))
def test_json_and_geojson_keep_every_record(records, forme):
    if forme == "liste":
        parsed: object = records
    elif forme == "data":
        parsed = {"data": records}
    else:
        parsed = {"type": "FeatureCollection",
                  "features": [{"type": "Feature", "properties": r, "geometry": {"type": "Point", "coordinates": [2, 48]}}
                               for r in records]}
    table = _lire(json.dumps(parsed).encode(), "lieux.json")
    if table is None:
        assert all(not r for r in records)  # no key at all: nothing to show
        return
    assert len(table) == len(records)


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | _cellule,
                    lambda enfants: st.lists(enfants, max_size=4) | st.dictionaries(
                        st.sampled_from(["type", "features", "properties", "geometry", "coordinates", "data", "nom",
                                         "Feature", "FeatureCollection", "Point", "id"]), enfants, max_size=4),
                    max_leaves=25))
def test_any_json_structure_gives_a_table_or_a_french_refusal(valeur):
    _lire(json.dumps(valeur).encode(), "lieux.geojson")


@settings(max_examples=40, deadline=4000, suppress_health_check=[HealthCheck.too_slow])
# openpyxl writes a text starting with "=" as a formula without a cached value (Excel would store one):
# such cells read back empty, so they are left out of the generated sheets.
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6), _texte_plein.filter(lambda t: t[0] != "=")),
                         min_size=1, max_size=5),
                min_size=1, max_size=8),
       st.integers(0, 400))
def test_xlsx_and_damaged_xlsx(lignes, coupe):
    classeur = Workbook()
    feuille = classeur.active
    feuille.append(["nom", "adresse"])
    for ligne in lignes:
        feuille.append(ligne)
    tampon = io.BytesIO()
    classeur.save(tampon)
    data = tampon.getvalue()
    table = _lire(data, "lieux.xlsx")
    non_vides = [ligne for ligne in lignes if any(c is not None and str(c).strip() for c in ligne)]
    assert (table is None and not non_vides) or len(table) == len(non_vides)
    _lire(data[: len(data) - coupe], "lieux.xlsx")  # cut: still a table or a refusal


def test_xlsx_zip_without_a_workbook():
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    assert _lire(tampon.getvalue(), "lieux.xlsx") is None


# -- opening hours -----------------------------------------------------------------------------------

_OSM = st.text(alphabet="MoTuWeThFrSaSuPH0123456789:-,; +/[]\"offclosedweek", max_size=50)


@FUZZ
@given(st.lists(st.one_of(_OSM, st.text(max_size=40)), min_size=1, max_size=5))
def test_any_hours_string_gets_a_status_per_place(valeurs):
    lieux = pd.DataFrame({"horaires": valeurs, "code_insee": "29019"})
    table = horaires.analyser_horaires(lieux)
    assert len(table) == len(valeurs)
    assert set(table["statut"]) <= {horaires.EXPLOITABLE, horaires.NON_EXPLOITABLE, horaires.NON_RENSEIGNE}
    exploitables = table["statut"] == horaires.EXPLOITABLE
    assert ((table.loc[exploitables, "heures_hebdo"] >= 0) & (table.loc[exploitables, "heures_hebdo"] <= 168)).all()
    assert len(horaires.ouvert_a(lieux, datetime(2026, 3, 4, 10, 0))) == len(valeurs)


# -- territory identifiers --------------------------------------------------------------------------

_IDENTIFIANTS = st.one_of(
    st.text(max_size=30),
    st.builds(lambda p, c: f"{p}:{c}", st.sampled_from(["dep", "reg", "epci", "commune", "DEP", "x"]),
              st.text(alphabet="0123456789ABab ", max_size=10)),
    st.from_regex(r"[0-9][0-9AB][0-9]{0,7}", fullmatch=True),
)


@FUZZ
@given(_IDENTIFIANTS)
def test_resolve_gives_a_territory_or_a_french_refusal(texte):
    try:
        t = territories.resolve(texte)
    except territories.TerritoireInconnu as exc:
        assert "«" in str(exc) and str(exc)[0].isupper()  # a French sentence quoting what was typed
        return
    assert t.id == "france" or t.id.split(":")[0] in {"reg", "dep", "arr", "epci", "commune", "perimetre"}
    assert territories.get(t.id) == t


@FUZZ
@given(st.text(max_size=40), st.integers(-2, 30))
def test_search_gives_at_most_limit_territories(texte, limite):
    trouves = territories.search(texte, limit=limite)
    assert len(trouves) <= max(limite, 0)
    assert all(isinstance(t, territories.Territoire) for t in trouves)


# -- mapping JSON -----------------------------------------------------------------------------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                     lambda enfants: st.lists(enfants, max_size=4) | st.dictionaries(
                         st.sampled_from(["nom", "adresse", "colonne", "colonnes", "termes", "cible", "services",
                                          "horaires", "x"]) | st.text(max_size=8), enfants, max_size=4),
                     max_leaves=20)


@FUZZ
@given(st.one_of(_JSON.map(json.dumps), st.text(max_size=60), st.binary(max_size=60)))
def test_mapping_json_gives_a_mapping_or_a_french_error(texte):
    _verifier_correspondance(texte)


def _verifier_correspondance(texte: str | bytes) -> None:
    try:
        c = Correspondance.from_json(texte)
    except ValueError as exc:
        assert str(exc).startswith("Le fichier de correspondance")
        return
    assert all(isinstance(v, str) and v for v in c.colonnes.values())
    # What was read applies to any table without losing a row, and survives a round trip.
    brut = pd.DataFrame({"Nom": ["a", "b", "c"], "x": ["1", "", "3"]})
    applique, _ = c.appliquer(brut)
    assert len(applique) == 3
    assert Correspondance.from_json(c.to_json()).colonnes == c.colonnes


# -- inputs that once crashed something --------------------------------------------------------------


def _rejouer_fichier(chemin: Path) -> None:
    _lire(chemin.read_bytes(), chemin.name)


def _rejouer_horaires(chemin: Path) -> None:
    valeur = chemin.read_text(encoding="utf-8")
    assert len(horaires.analyser_horaires(pd.DataFrame({"horaires": [valeur]}))) == 1


def _rejouer_territoire(chemin: Path) -> None:
    try:
        territories.resolve(chemin.read_text(encoding="utf-8"))
    except territories.TerritoireInconnu:
        pass


def _rejouer_correspondance(chemin: Path) -> None:
    _verifier_correspondance(chemin.read_bytes())


def _client_qui_repond(corps: bytes) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(lambda requete: httpx.Response(200, content=corps)))


def _rejouer_osrm(chemin: Path) -> None:
    with _client_qui_repond(chemin.read_bytes()) as client, pytest.raises(temps_route.OSRMIndisponible):
        temps_route.road_times([(2.0, 48.0)], [(2.1, 48.0)], "http://osrm.invalid", client=client)


def _rejouer_ban(chemin: Path, tmp_path: Path) -> None:
    lieux = pd.DataFrame({"nom": ["A"], "adresse": ["5 rue Neuve"], "code_insee": ["29019"]})
    lieux[CODE_COMMUNE] = "29019"
    with _client_qui_repond(chemin.read_bytes()) as client:
        g = geocoder(to_places_frame(lieux), "http://ban.invalid", dossier_cache=tmp_path, client=client,
                     policy=RetryPolicy(tries=1))
    assert g.n_commune == 1 and any("Base Adresse Nationale" in ligne for ligne in g.rapport)
    assert not (tmp_path / "adresses.json").exists()  # an unusable answer is never cached


_REJOUEURS = {
    "read_table": _rejouer_fichier,
    "horaires": _rejouer_horaires,
    "territoires": _rejouer_territoire,
    "correspondance": _rejouer_correspondance,
    "osrm": _rejouer_osrm,
}
_CAS = sorted(p for p in REGRESSIONS.rglob("*") if p.is_file() and p.name != "PROVENANCE.md")


def test_every_regression_folder_has_a_replayer():
    assert _CAS and {p.parent.name for p in _CAS} <= {*_REJOUEURS, "ban"}


@pytest.mark.parametrize("chemin", _CAS, ids=[f"{p.parent.name}/{p.name}" for p in _CAS])
def test_regressions(chemin, tmp_path):
    if chemin.parent.name == "ban":
        _rejouer_ban(chemin, tmp_path)
    else:
        _REJOUEURS[chemin.parent.name](chemin)
