"""Plotly figures as PNG/SVG with kaleido and the system Chromium (diagnostics.rapport.images)."""
import re
import struct

import plotly.graph_objects as go
import pytest

from diagnostics.rapport import images

pytestmark = pytest.mark.skipif(
    not any(__import__("shutil").which(n) for n in images.NAVIGATEURS),
    reason="Chromium absent : installez le paquet Debian chromium.",
)


def _figure(titre="Lieux par commune"):
    fig = go.Figure(go.Bar(x=["Brest", "Quimper"], y=[12, 7]))
    fig.update_layout(title={"text": titre}, height=400)
    return fig


def _taille_png(donnees: bytes) -> tuple[int, int]:
    assert donnees[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", donnees[16:24])


def test_png_and_svg_of_several_figures_in_order():
    png = images.images([_figure("Un"), _figure("Deux")], "png", largeur=600, echelle=2)
    assert [_taille_png(p) for p in png] == [(1200, 800), (1200, 800)]
    svg = images.images([_figure("Premier titre"), _figure("Second titre")], "svg", largeur=600)
    assert svg[0].lstrip().startswith(b"<svg") and b"Premier titre" in svg[0] and b"Second titre" in svg[1]


def test_telechargements_figure_names_are_safe_and_images_carry_the_source():
    fichiers = images.telechargements_figure(
        _figure(), "Zones blanches / L'Haÿ-les-Roses", source="Source : API <nationale> — données du 3 mars 2026."
    )
    assert set(fichiers) == {"Zones-blanches-L-Hay-les-Roses.png", "Zones-blanches-L-Hay-les-Roses.svg"}
    svg = fichiers["Zones-blanches-L-Hay-les-Roses.svg"].decode("utf-8")
    assert "données du 3 mars 2026" in svg
    assert "<nationale>" not in svg  # data text never becomes markup
    assert _taille_png(fichiers["Zones-blanches-L-Hay-les-Roses.png"])[0] == 2000


def test_legender_leaves_the_original_figure_alone():
    fig = _figure()
    fig.update_layout(title={"subtitle": {"text": "Sous-titre"}})
    signee = images.legender(fig, "Source : test")
    assert fig.layout.title.subtitle.text == "Sous-titre" and fig.layout.height == 400
    assert signee.layout.title.subtitle.text == "Sous-titre<br>Source : test"
    assert signee.layout.height == 422


def test_unknown_format_is_refused_in_french():
    with pytest.raises(ValueError, match="Format d'image inconnu"):
        images.images([_figure()], "gif")


def test_no_chromium_gives_a_french_message(monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(images.ImagesIndisponibles, match="Aucun navigateur Chromium"):
        images._Serveur().rendre([{"fig": _figure(), "opts": {"format": "png"}}])
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with pytest.raises(images.ImagesIndisponibles, match="BROWSER_PATH"):
        images.chemin_chromium()


def test_server_is_reused_between_calls():
    images.image(_figure())
    premier = images._SERVEUR._kaleido
    images.image(_figure(), "svg")
    assert images._SERVEUR._kaleido is premier is not None
    assert re.match(r"^[\w.-]+$", next(iter(images.telechargements_figure(_figure(), "a/b"))))
