"""Locally served map assets: CDN links rewritten, external URLs detected, npm install and copy."""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import branca.colormap
import folium
import folium.plugins
import pytest

from diagnostics.paths import ROOT_DIR
from diagnostics.views import assets


def _carte_avec_plugins() -> folium.Map:
    m = folium.Map(location=[48.4, -4.5], zoom_start=9, tiles=None)
    folium.plugins.MarkerCluster(locations=[[48.4, -4.5], [48.5, -4.4]]).add_to(m)
    folium.plugins.FastMarkerCluster(data=[[48.3, -4.3]]).add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    folium.LayerControl().add_to(m)
    return m


def test_every_cdn_link_of_folium_and_our_plugins_is_served_or_dropped():
    # A folium upgrade that changes a version in a URL must fail here, not in the browser.
    for classe in (folium.Map, folium.plugins.MarkerCluster, folium.plugins.Fullscreen):
        for _, url in [*classe.default_js, *classe.default_css]:
            assert url in assets.LOCAUX or url in assets.NON_SERVIS, url
    assert set(assets.LOCAUX.values()) <= set(assets.COPIES)


def test_localiser_rewrites_links_and_leaves_no_external_url():
    m = assets.localiser(_carte_avec_plugins(), "/vendor/")
    page = m.get_root().render()
    assert assets.urls_externes(page) == []
    assert '<script src="/vendor/leaflet/leaflet.js"></script>' in page
    assert '<script src="/vendor/leaflet.markercluster/leaflet.markercluster.js"></script>' in page
    assert 'href="/vendor/leaflet.fullscreen/Control.FullScreen.css"' in page
    assert "glyphicons" not in page and "awesome.rotate" not in page


def test_localiser_does_not_change_folium_classes_for_other_maps():
    assets.localiser(_carte_avec_plugins(), "/vendor")
    autre = folium.Map(tiles=None).get_root().render()
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in autre


def test_localiser_can_rebase_a_localised_map():
    m = assets.localiser(_carte_avec_plugins(), "/vendor")
    assets.localiser(m, "file:///tmp/static/vendor")
    page = m.get_root().render()
    assert '<script src="file:///tmp/static/vendor/leaflet/leaflet.js"></script>' in page
    assert 'src="/vendor/' not in page


def test_localiser_refuses_a_plugin_whose_files_are_not_served():
    m = folium.Map(tiles=None)
    folium.plugins.HeatMap([[48.4, -4.5]]).add_to(m)
    with pytest.raises(assets.AssetsIndisponibles, match="leaflet_heat.min.js"):
        assets.localiser(m, "/vendor")


def test_localiser_refuses_a_branca_colour_map():
    # streamlit-folium loads d3 from two CDNs for any branca colour map, whatever its links say.
    m = folium.Map(tiles=None)
    branca.colormap.LinearColormap(["#ffffff", "#000000"], vmin=0, vmax=1).add_to(m)
    with pytest.raises(assets.AssetsIndisponibles, match="d3"):
        assets.localiser(m, "/vendor")


def test_urls_externes_lists_what_is_fetched_not_what_is_linked():
    page = """
    <script src="https://cdn.example.org/a.js"></script>
    <script src="/vendor/leaflet/leaflet.js"></script>
    <link rel="stylesheet" href="//fonts.example.org/f.css"/>
    <img src='http://127.0.0.1:8000/local.png'>
    <style>.x { background: url("https://img.example.org/x.png"); } @import "https://css.example.org/i.css";</style>
    <a href="https://www.mairie-exemple.fr/">site</a>
    <script>var t = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {});
    var s = '<a href="https://lien.example.org/">x</a>'; img.src = "https://pixel.example.org/p.gif";</script>
    """
    assert assets.urls_externes(page) == [
        "//fonts.example.org/f.css",
        "https://cdn.example.org/a.js",
        "https://css.example.org/i.css",
        "https://img.example.org/x.png",
        "https://pixel.example.org/p.gif",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    ]


def test_base_urls():
    assert assets.base_streamlit() == "/app/static/vendor"
    assert assets.base_streamlit("/diagnostic/") == "/diagnostic/app/static/vendor"
    assert assets.base_fichier(Path("/tmp/x/vendor")) == "file:///tmp/x/vendor"


def test_missing_assets_are_listed_with_a_french_sentence(tmp_path):
    assert assets.assets_manquants(tmp_path) == list(assets.COPIES)
    message = assets.message_assets_manquants(tmp_path)
    assert message.startswith("Les fichiers d'affichage de la carte ne sont pas installés")
    assert "bash scripts/install_assets.sh" in message
    for chemin in assets.COPIES:
        (tmp_path / chemin).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / chemin).write_text("x")
    assert assets.assets_manquants(tmp_path) == []
    assert assets.message_assets_manquants(tmp_path) == ""


def test_package_json_pins_the_versions_folium_asks_for():
    from diagnostics.carte_locale.site import VENDOR

    # Packages only the local website map uses (copied from node_modules/ by carte_locale.site).
    carte_locale = {sources[0].split("/")[0] for sources in VENDOR.values()} - {
        source.split("/")[0] for source in assets.COPIES.values()
    }
    dependances = {
        nom: version
        for nom, version in json.loads((ROOT_DIR / "package.json").read_text())["dependencies"].items()
        if nom not in carte_locale
    }
    verrou = json.loads((ROOT_DIR / "package-lock.json").read_text())["packages"]
    for nom, version in dependances.items():
        assert verrou[f"node_modules/{nom}"]["version"] == version
        if nom != "leaflet.awesome-markers":  # npm has no 2.0.2; see assets.LOCAUX
            assert any(nom in url and version in url for url in assets.LOCAUX), nom
    copies_depuis = {source.split("/")[0] if not source.startswith("@") else "/".join(source.split("/")[:2]) for source in assets.COPIES.values()}
    assert copies_depuis == set(dependances)


def _faux_npm(dossier: Path, code_retour: int = 0) -> Path:
    """A stand-in for npm that records its arguments and lays out node_modules like the real packages."""
    fichiers = " ".join(f'"node_modules/{source}"' for source in assets.COPIES.values())
    script = dossier / "npm"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{dossier}/arguments"\n'
        f'if [ {code_retour} -ne 0 ]; then echo "npm ERR! 404 introuvable" >&2; exit {code_retour}; fi\n'
        f"for f in {fichiers}; do\n"
        '  case "$f" in */images|*/webfonts) mkdir -p "$f"; echo png > "$f/a.png";;\n'
        '  *) mkdir -p "$(dirname "$f")"; echo "$f" > "$f";; esac\n'
        "done\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_installer_runs_npm_ci_with_a_lockfile_and_copies_the_files(tmp_path):
    racine = tmp_path / "depot"
    racine.mkdir()
    (racine / "package-lock.json").write_text("{}")
    npm = _faux_npm(tmp_path)
    copies = assets.installer(racine, npm=str(npm))
    assert (tmp_path / "arguments").read_text().split() == ["ci", "--no-audit", "--no-fund", "--ignore-scripts"]
    vendor = racine / "static" / "vendor"
    assert copies == [vendor / chemin for chemin in assets.COPIES]
    assert assets.assets_manquants(vendor) == []
    assert (vendor / "leaflet/leaflet.js").read_text().strip() == "node_modules/leaflet/dist/leaflet.js"
    assert (vendor / "fontawesome/webfonts/a.png").exists()


def test_installer_runs_npm_install_without_a_lockfile(tmp_path):
    racine = tmp_path / "depot"
    racine.mkdir()
    assets.installer(racine, destination=tmp_path / "sortie", npm=str(_faux_npm(tmp_path)))
    assert (tmp_path / "arguments").read_text().split()[0] == "install"
    assert assets.assets_manquants(tmp_path / "sortie") == []


def test_installer_reports_npm_failure_and_missing_npm_in_french(tmp_path):
    racine = tmp_path / "depot"
    racine.mkdir()
    with pytest.raises(assets.AssetsIndisponibles, match=r"npm install` a échoué \(code 3, npm ERR! 404 introuvable\)"):
        assets.installer(racine, npm=str(_faux_npm(tmp_path, code_retour=3)))
    with pytest.raises(assets.AssetsIndisponibles, match="La commande npm est introuvable"):
        assets.installer(racine, npm=str(tmp_path / "pas-de-npm"))
    assert not (racine / "static").exists()


@pytest.mark.skipif(not (ROOT_DIR / "static" / "vendor").exists(), reason="assets non installés (bash scripts/install_assets.sh)")
def test_installed_css_only_references_files_that_were_copied():
    vendor = ROOT_DIR / "static" / "vendor"
    for css in vendor.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if url.startswith(("data:", "#")):
                continue
            assert (css.parent / url.split("?")[0].split("#")[0]).resolve().exists(), (css, url)
    assert os.path.getsize(vendor / "leaflet" / "leaflet.js") > 100_000
