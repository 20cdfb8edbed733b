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
