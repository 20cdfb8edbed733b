"""The pictures of a territory's places that the « Évolution » page can compare, and how each is named in
a URL: the embedded snapshot, every picture of the history (`sources.historique`), a download from the
national API made now, and a file the person uploads (never written to a URL: it is theirs only).

Pure functions of the history on disk; the dashboard adds the caching and the widgets.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .dates import date_courte
from .places import charger_lieux, charger_photo, restreindre, snapshot_date
from .sources.base import Lieux, SourceIndisponible
from .sources.historique import Historique, PhotoIntrouvable

EMBARQUE, API, FICHIER = "embarque", "api", "fichier"
PREFIXE_HISTORIQUE = "historique:"
LIBELLE_API = "API nationale (télécharger maintenant)"
LIBELLE_FICHIER = "Fichier importé…"


@dataclass(frozen=True)
class Choix:
    """One picture a person can pick as « Avant » or « Après »."""

    ref: str  # "embarque", "api", "fichier" or a history ref "historique:…"
    libelle: str  # French label of the choice list (may hold a file name: plain text, never markup)
    date: str = ""  # YYYY-MM-DD of the data when known beforehand (orders the defaults)
    source: str = ""  # "embarque" | "api" | "fichier" | the history picture's source ("api", "dataspace", "fichier")

    @property
    def partageable(self) -> bool:
        """Can it be named in a URL? An uploaded file lives in one session only."""
        return self.ref != FICHIER

    @property
    def historique(self) -> bool:
        return self.ref.startswith(PREFIXE_HISTORIQUE)


def photos_historique(territoire_id: str, historique=None) -> list:
    """The history's pictures of the territory (France's included), newest first."""
    return (historique or Historique()).photos(territoire_id)


def choix_disponibles(territoire_id: str, *, avec_dataspace: bool, historique=None) -> list[Choix]:
    """The pictures that can be compared, in the order of the choice list: the snapshot, the history
    (oldest first), a download now, an uploaded file.

    Dataspace pictures are listed only for a session holding a dataspace token (`avec_dataspace`):
    their data came with a token and stay behind one.
    """
    jour = _date_embarquee()
    libelle = f"Instantané embarqué (données jusqu'au {date_courte(jour)})" if jour else "Instantané embarqué"
    choix = [Choix(EMBARQUE, libelle, jour, EMBARQUE)]
    for photo in reversed(photos_historique(territoire_id, historique)):
        if photo.source == "dataspace" and not avec_dataspace:
            continue
        choix.append(Choix(photo.ref, photo.libelle, photo.date, photo.source))
    choix.append(Choix(API, LIBELLE_API, "", API))
    choix.append(Choix(FICHIER, LIBELLE_FICHIER, "", FICHIER))
    return choix


def _date_embarquee() -> str:
    try:
        return snapshot_date()
    except SourceIndisponible:
        return ""


def defauts(choix: list[Choix]) -> tuple[str, str]:
    """Avant = the oldest picture already at hand, Après = the newest (the snapshot when alone).

    Pictures at hand are the snapshot and the history: a download or an upload waits to be asked for.
    """
    connus = [c for c in choix if c.ref == EMBARQUE or c.historique]
    if not connus:
        return EMBARQUE, EMBARQUE
    plus_ancien = min(connus, key=lambda c: c.date or "9999")
    # The last of the newest: between equal dates a picture of the history beats the snapshot.
    plus_recent = max(reversed(connus), key=lambda c: c.date or "")
    return plus_ancien.ref, plus_recent.ref


def resoudre(valeur: str | None, choix: list[Choix], territoire_id: str, historique=None) -> str | None:
    """The ref of the choice list named by a URL value, or None when it names none of them.

    A history ref may be shortened to its day ("historique:2026-12-01", the newest of that day) as
    `Historique.trouver` reads it; an uploaded file cannot be named (it is not shareable).
    """
    if not isinstance(valeur, str) or not valeur.strip():
        return None
    valeur = valeur.strip()
    refs = {c.ref for c in choix if c.partageable}
    if valeur in refs:
        return valeur
    if not valeur.startswith(PREFIXE_HISTORIQUE):
        return None
    try:
        photo = (historique or Historique()).trouver(valeur, territoire_id)
    except PhotoIntrouvable:
        return None
    return photo.ref if photo.ref in refs else None


def charger(ref: str, territoire, *, historique=None, **options) -> Lieux:
    """The places of a shareable picture (`SourceIndisponible` with a French sentence when it cannot
    be read). `options` go to `charger_lieux` for the API (progress)."""
    if ref == EMBARQUE:
        return charger_lieux(territoire, EMBARQUE)
    if ref == API:
        return charger_lieux(territoire, API, **options)
    if ref.startswith(PREFIXE_HISTORIQUE):
        historique = historique or Historique()
        try:
            photo = historique.trouver(ref, territoire.id)
        except PhotoIntrouvable as exc:
            raise SourceIndisponible(str(exc)) from exc
        return charger_photo(photo, territoire, historique=historique)
    raise SourceIndisponible(f"Photo inconnue « {ref} » : choisissez-en une dans la liste.")


def source_du_choix(ref: str, choix: list[Choix]) -> str:
    return next((c.source for c in choix if c.ref == ref), "")


def fichier_du_territoire(complet: Lieux, territoire, date: str | None = None) -> Lieux:
    """An uploaded file's places restricted to the territory and its neighbours; `date` (YYYY-MM-DD),
    when the person gives it, stands for the file's own date (its latest `date_maj`)."""
    source = replace(complet.source, date=date) if date else complet.source
    return Lieux(lieux=restreindre(complet.lieux, territoire), source=source, rapport=list(complet.rapport),
                 champs_v0=complet.champs_v0)


def choix_par_ref(choix: list[Choix], ref: str) -> Choix:
    return next(c for c in choix if c.ref == ref)
