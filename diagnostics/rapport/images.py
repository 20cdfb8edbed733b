"""Plotly figures as PNG or SVG bytes, drawn by kaleido 1.x in the system Chromium (works offline).

One kaleido browser is started on first use and kept for the whole process: starting Chromium costs
seconds, an image then costs a fraction of one. It runs on a private event loop (rather than
`kaleido.start_sync_server`, whose queue has no timeout and whose answers are not tied to the calling
thread: two Streamlit sessions asking at once could swap images).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Sequence

import plotly.graph_objects as go

from ..views.fichiers import nom_fichier

FORMATS = ("png", "svg")
NAVIGATEURS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
DELAI_S = 60  # one image; beyond, the browser is taken for stuck and restarted on the next call
ONGLETS = 2  # images drawn at once (the machines this runs on have 2 cores or more)


class ImagesIndisponibles(RuntimeError):
    """No image could be drawn (no Chromium, or the browser failed); the message is French."""


def chemin_chromium() -> str:
    """Path of the Chromium (or Chrome) executable: BROWSER_PATH, else the first one found on PATH.

    Raises
    ------
    ImagesIndisponibles : when none is found.
    """
    impose = os.environ.get("BROWSER_PATH")
    if impose:
        if shutil.which(impose):
            return shutil.which(impose)
        raise ImagesIndisponibles(
            f"Le navigateur indiqué par BROWSER_PATH ({impose}) est introuvable : corrigez ce chemin ou installez "
            "Chromium (paquet Debian « chromium ») pour produire les images."
        )
    for nom in NAVIGATEURS:
        chemin = shutil.which(nom)
        if chemin:
            return chemin
    raise ImagesIndisponibles(
        "Aucun navigateur Chromium n'a été trouvé : installez le paquet « chromium » (ou indiquez son chemin dans "
        "BROWSER_PATH) pour produire les images des graphiques."
    )


class _Serveur:
    """One kaleido browser on its own event loop thread, shared by every caller of the process."""

    def __init__(self) -> None:
        self._verrou = threading.Lock()
        self._boucle: asyncio.AbstractEventLoop | None = None
        self._kaleido = None

    def _demarrer(self):
        import kaleido

        chemin = chemin_chromium()
        boucle = asyncio.new_event_loop()
        threading.Thread(target=boucle.run_forever, name="kaleido", daemon=True).start()

        async def ouvrir():
            k = kaleido.Kaleido(n=ONGLETS, mathjax=False, path=chemin, timeout=DELAI_S)
            await k.open()
            return k

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(ouvrir(), boucle).result(DELAI_S * 2)
        except Exception as exc:
            boucle.call_soon_threadsafe(boucle.stop)
            raise ImagesIndisponibles(
                f"Chromium ({chemin}) n'a pas pu démarrer pour dessiner les graphiques ({type(exc).__name__}) : "
                "vérifiez son installation, puis réessayez."
            ) from exc
        self._boucle = boucle

    def _arreter(self) -> None:
        boucle, k = self._boucle, self._kaleido
        self._boucle = self._kaleido = None
        if boucle is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), boucle).result(10)
        except Exception:  # noqa: BLE001 - a dead browser cannot be closed more cleanly
            pass
        boucle.call_soon_threadsafe(boucle.stop)

    def rendre(self, specs: Sequence[dict]) -> list[bytes]:
        with self._verrou:
            if self._kaleido is None:
                self._demarrer()
            boucle, k = self._boucle, self._kaleido

        async def tout():
            return await asyncio.gather(*(k.calc_fig(s["fig"], opts=s["opts"]) for s in specs))

        try:
            return asyncio.run_coroutine_threadsafe(tout(), boucle).result(DELAI_S * max(len(specs), 1))
        except Exception as exc:
            with self._verrou:
                if self._kaleido is k:
                    self._arreter()
            raise ImagesIndisponibles(
                f"Le dessin des graphiques a échoué ({type(exc).__name__}) : réessayez ; si le problème persiste, "
                "vérifiez l'installation de Chromium."
            ) from exc


_SERVEUR = _Serveur()


def legender(fig: go.Figure, source: str) -> go.Figure:
    """A copy of `fig` with `source` (e.g. "Source : … — données du …") as a grey line under its title.

    Under the title rather than under the plot: the space below a plot is taken by axis titles and
    legends whose height plotly only knows once drawn, and a note there could cover them.
    """
    out = go.Figure(fig)
    # A line break in `source` starts a new line under the title (a long source would be cut).
    texte = source.replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
    lignes = 1 + source.count("\n")
    deja = out.layout.title.subtitle.text
    marge = out.layout.margin.t if out.layout.margin.t is not None else 60
    out.update_layout(
        title={"subtitle": {"text": f"{deja}<br>{texte}" if deja else texte, "font": {"size": 11, "color": "#595959"}}},
        margin={"t": marge + 22 * lignes},
        height=(out.layout.height or 500) + 22 * lignes,
    )
    return out


def images(
    figures: Sequence[go.Figure], format: str = "png", *, largeur: int = 1000, hauteur: int | None = None,
    echelle: float = 2.0,
) -> list[bytes]:
    """Each figure drawn as `format` ("png" or "svg"), in order.

    `hauteur` None keeps each figure's own height (its layout's, else 500 px); `echelle` multiplies the
    pixels of a PNG (2: sharp on a projected slide).

    Raises
    ------
    ImagesIndisponibles : no Chromium, or the browser failed.
    """
    if format not in FORMATS:
        raise ValueError(f"Format d'image inconnu « {format} » : choisissez png ou svg.")
    specs = [
        {
            "fig": fig,
            "opts": {
                "format": format, "width": largeur, "height": hauteur or fig.layout.height or 500,
                "scale": echelle if format == "png" else 1,
            },
        }
        for fig in figures
    ]
    return _SERVEUR.rendre(specs) if specs else []


def image(fig: go.Figure, format: str = "png", **options) -> bytes:
    """One figure as PNG or SVG bytes (see `images`)."""
    return images([fig], format, **options)[0]


def telechargements_figure(fig: go.Figure, nom: str, *, source: str | None = None) -> dict[str, bytes]:
    """The figure as PNG and SVG files: {"<nom>.png": …, "<nom>.svg": …}, names made file-safe.

    `source`, when given, is written under the chart so that the image says where its figures come from.

    Raises
    ------
    ImagesIndisponibles : no Chromium, or the browser failed.
    """
    a_dessiner = legender(fig, source) if source else fig
    png, svg = _SERVEUR.rendre(
        [
            {"fig": a_dessiner, "opts": {"format": f, "width": 1000, "height": fig.layout.height or 500, "scale": e}}
            for f, e in (("png", 2), ("svg", 1))
        ]
    )
    return {nom_fichier(nom, extension="png"): png, nom_fichier(nom, extension="svg"): svg}
