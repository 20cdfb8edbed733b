"""The disk cache of reference tables: rebuilt when an input changes, never stale, harmless when broken."""
from __future__ import annotations

import subprocess
import sys

from diagnostics import cache_reference, territories


def _compteur(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_reference, "DATA_DIR", tmp_path / "data")
    entree = tmp_path / "entree.txt"
    entree.write_text("un")
    appels = []

    def construire():
        appels.append(1)
        return {"contenu": entree.read_text(), "construction": len(appels)}

    return entree, appels, construire


def test_built_once_then_read_from_disk(tmp_path, monkeypatch):
    entree, appels, construire = _compteur(tmp_path, monkeypatch)
    premier = cache_reference.charger("essai", [entree], construire)
    second = cache_reference.charger("essai", [entree], construire)
    assert premier == second == {"contenu": "un", "construction": 1}
    assert len(appels) == 1
    assert len(list((tmp_path / "data" / "cache").glob("essai-*.pickle"))) == 1


def test_changing_an_input_rebuilds_and_replaces_the_old_file(tmp_path, monkeypatch):
    entree, appels, construire = _compteur(tmp_path, monkeypatch)
    cache_reference.charger("essai", [entree], construire)
    entree.write_text("deux")  # same size or not, the content hash changes
    assert cache_reference.charger("essai", [entree], construire)["contenu"] == "deux"
    entree.write_text("un")
    assert cache_reference.charger("essai", [entree], construire)["contenu"] == "un"
    assert len(appels) == 3
    assert len(list((tmp_path / "data" / "cache").glob("essai-*.pickle"))) == 1


def test_a_same_size_rewrite_with_an_old_mtime_is_still_seen(tmp_path, monkeypatch):
    import os

    entree, appels, construire = _compteur(tmp_path, monkeypatch)
    cache_reference.charger("essai", [entree], construire)
    avant = entree.stat()
    entree.write_text("uN")  # same size
    os.utime(entree, ns=(avant.st_atime_ns, avant.st_mtime_ns))
    cache_reference._empreinte_fichier.cache_clear()  # a new process
    assert cache_reference.charger("essai", [entree], construire)["contenu"] == "uN"


def test_a_truncated_cache_file_is_rebuilt(tmp_path, monkeypatch):
    entree, appels, construire = _compteur(tmp_path, monkeypatch)
    cache_reference.charger("essai", [entree], construire)
    (fichier,) = (tmp_path / "data" / "cache").glob("essai-*.pickle")
    fichier.write_bytes(fichier.read_bytes()[:5])
    assert cache_reference.charger("essai", [entree], construire)["construction"] == 2


def test_an_unwritable_data_dir_still_gives_the_table(tmp_path, monkeypatch):
    entree, appels, construire = _compteur(tmp_path, monkeypatch)
    (tmp_path / "data").write_text("un fichier, pas un dossier")
    assert cache_reference.charger("essai", [entree], construire)["contenu"] == "un"
    assert cache_reference.charger("essai", [entree], construire)["construction"] == 2


def test_cached_territory_tables_equal_a_fresh_build():
    assert territories._tables() == territories._construire_tables()
    assert territories.passage_2026() == territories._construire_passage()
    cache, frais = territories._index(), territories._construire_index()
    assert (cache.keys == frais.keys).all() and (cache.key_ids == frais.key_ids).all()
    assert (cache.first_key, cache.by_code, cache.by_postcode) == (frais.first_key, frais.by_code, frais.by_postcode)


def test_searching_a_territory_imports_neither_geopandas_nor_shapely():
    territories.search("brest")  # the cache exists
    code = (
        "import sys; from diagnostics import territories; "
        "r = territories.search('brest'); assert r[0].id == 'commune:29019', r; "
        "assert territories.resolve('dep:29').nom == 'Finistère'; "
        "print(sorted(m for m in ('geopandas', 'shapely', 'pandas') if m in sys.modules))"
    )
    sortie = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert sortie.strip() == "[]"


def test_an_extra_key_is_part_of_the_hash(tmp_path, monkeypatch):
    entree, appels, construire = _compteur(tmp_path, monkeypatch)
    cache_reference.charger("essai", [entree], construire, extra="a")
    cache_reference.charger("essai", [entree], construire, extra="a")
    cache_reference.charger("essai", [entree], construire, extra="b")
    assert len(appels) == 2


def test_cached_projected_communes_zone_bounds_and_snapshot_equal_a_fresh_build():
    import pandas as pd

    from diagnostics import places
    from diagnostics.indicators import distances as dist
    from diagnostics.standard.fields import to_places_frame

    communes, bornes = dist._tables_communes()
    frais_communes, frais_bornes = dist._construire_tables_communes()
    pd.testing.assert_frame_equal(communes, frais_communes)
    assert bornes == frais_bornes
    instantane = places._snapshot()
    frais = to_places_frame(pd.read_parquet(places.DATA_DIR / places.SNAPSHOT_FILE))
    pd.testing.assert_frame_equal(pd.DataFrame(instantane.drop(columns="geometry")), pd.DataFrame(frais.drop(columns="geometry")))
    assert instantane.geometry.equals(frais.geometry) and instantane.crs == frais.crs


def test_cached_neighbours_equal_a_fresh_computation():
    for ident in ("dep:29", "epci:242900694", "commune:29019", "arr:291"):
        t = territories.get(ident)
        assert territories.buffer_communes(t, 30) == territories._calculer_buffer_communes(t, 30.0), ident
    assert territories.buffer_communes(territories.get("dep:29"), 5) != territories.buffer_communes(territories.get("dep:29"), 30)


def test_national_references_read_from_disk_equal_a_fresh_computation():
    import pandas as pd

    from diagnostics import places
    from diagnostics.indicators import accessibilite as acc
    from diagnostics.indicators import comparaison as cmp

    lieux = places.lieux_embarques(territories.get("france")).lieux
    cmp.vider_cache()
    cmp.references(lieux)  # writes the disk cache if no earlier test or command did
    cmp.vider_cache()
    disque = cmp.references(lieux)  # read back from disk
    # the same decay passed explicitly is never cached on disk: computed afresh
    frais = cmp.references(lieux, decroissance=acc.decroissance_par_defaut(cmp.RAYON_ACCES_KM))
    assert disque is not frais
    pd.testing.assert_frame_equal(disque.vecteurs, frais.vecteurs)
    for niveau, table in disque.par_niveau.items():
        pd.testing.assert_frame_equal(table, frais.par_niveau[niveau])
