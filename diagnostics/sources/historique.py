"""History of dated pictures ("photos") of a territory's places, kept so that two dates can be compared:
every successful download from the national API or the dataspace, and the files users add with a date.

One file per picture, `<directory>/<territory key>/<moment>_<source>_<sha12>.photo`, in the cache's
layout (magic line, one JSON header line, payload) and written the same atomic way: there is no shared
index that two processes could corrupt, a killed write leaves only a temp file that listings ignore,
and listing reads the header line of each file only. Tokens are never written: the metadata of a
download holds no credential, and dataspace payloads arrive here already stripped of personal data.

Environment:
    DIAGNOSTIC_HISTORIQUE=0           downloads are no longer recorded (reading and adding files still work)
    DIAGNOSTIC_HISTORIQUE_DERNIERS=10 the last N downloads of a territory are always kept
    DIAGNOSTIC_HISTORIQUE_MOIS=24     plus the newest download of each of the last M calendar months
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ..dates import date_courte
from ..paths import cache_dir
from .entrees import (
    decode_entry,
    decode_header,
    remove_stale_temps,
    territory_key,
    write_entry,
)

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; two adds in the same second may then share a ref
    fcntl = None

MAGIC = b"diagnostic-inclusion-photo 1\n"
PREFIXE = "historique:"
SOURCES = ("api", "dataspace", "fichier")
_SERVICES = {"api": "API nationale", "dataspace": "Dataspace de l'ANCT"}
_FIELDS = ("ref", "date", "moment", "source", "territoire", "libelle", "lignes", "ajoutee", "nom_fichier")
_MAX_HEADER = 1 << 20  # a header is a few hundred bytes; beyond this the file is not ours
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARIS = ZoneInfo("Europe/Paris")


class PhotoIntrouvable(LookupError):
    """No picture matches; the message is one French sentence listing the dates available."""


class PhotoIllisible(ValueError):
    """A picture's file is missing, cut or altered; the message is one French sentence."""


@dataclass(frozen=True)
class Retention:
    derniers: int = 10  # the last N downloads of a territory are always kept
    mois: int = 24  # plus the newest download of each calendar month for the last M months

    @classmethod
    def depuis_env(cls) -> Retention:
        """DIAGNOSTIC_HISTORIQUE_DERNIERS / DIAGNOSTIC_HISTORIQUE_MOIS; a value that is not a whole number ≥ 0 is ignored."""
        defaut = cls()
        return cls(
            derniers=_entier_env("DIAGNOSTIC_HISTORIQUE_DERNIERS", defaut.derniers),
            mois=_entier_env("DIAGNOSTIC_HISTORIQUE_MOIS", defaut.mois),
        )

    def conservees(self, photos: Sequence[Photo], maintenant: dt.datetime | None = None) -> list[Photo]:
        """The pictures among `photos` (automatic downloads of one territory) that the rule keeps, newest first.

        The months are calendar months in UTC, the current one included: with `mois=24` in March 2026,
        April 2024 to March 2026.
        """
        ordre = sorted(photos, key=lambda p: (p.moment, p.ref), reverse=True)
        gardees = dict.fromkeys(p.ref for p in ordre[: self.derniers])
        maintenant = maintenant or dt.datetime.now(dt.UTC)
        premier_mois = _mois(maintenant) - self.mois + 1
        vus: set[int] = set()
        for photo in ordre:
            mois = _mois(_instant(photo.moment))
            if mois >= premier_mois and mois not in vus:
                vus.add(mois)
                gardees[photo.ref] = None
        return [p for p in ordre if p.ref in gardees]


@dataclass(frozen=True)
class Photo:
    # "historique:2026-12-01T10:22:03Z" (download; "~<sha12>" appended when that second is taken) or
    # "historique:2024-09-12~<sha12>" (added file); unique among a territory's own pictures
    ref: str
    date: str  # YYYY-MM-DD of the data: download day (UTC) or the date the user gave
    moment: str  # full ISO timestamp (UTC, "Z") used for ordering
    source: str  # "api" | "dataspace" | "fichier"
    territoire: str  # territory id of the download ("dep:29", "france", a perimeter id…)
    libelle: str  # French label, e.g. "API nationale, téléchargement du 01/12/2026 à 11:22"
    lignes: int
    ajoutee: bool  # added by a user (kept until removed); False: automatic download, retention applies
    nom_fichier: str  # original file name for source "fichier" ("" otherwise)
    chemin: Path

    @property
    def jour(self) -> str:
        """The data's date as users write it: "01/12/2026"."""
        return date_courte(self.date)

    @property
    def description(self) -> str:
        """French sentence saying what the picture is, e.g. "Photo du 01/12/2026 (API nationale, téléchargée le 01/12/2026 à 11:22)."."""
        if self.ajoutee:
            return f"Photo du {self.jour} (fichier « {self.nom_fichier} » ajouté à l'historique)."
        quand = _instant(self.moment).astimezone(_PARIS)
        return f"Photo du {self.jour} ({_SERVICES.get(self.source, self.source)}, téléchargée le {quand:%d/%m/%Y à %H:%M})."


class Historique:
    """The pictures, by default under `paths.cache_dir() / "historique"`."""

    def __init__(self, directory: Path | None = None, retention: Retention | None = None):
        self.directory = Path(directory) if directory is not None else cache_dir() / "historique"
        self.retention = retention if retention is not None else Retention.depuis_env()
        # Payloads found altered by `contenu` (path → (size, mtime)): listings, which read headers
        # only, skip them from then on.
        self._alteres: dict[Path, tuple[int, int]] = {}

    @property
    def actif(self) -> bool:
        """False when DIAGNOSTIC_HISTORIQUE turns the recording of downloads off (read at each call)."""
        return os.environ.get("DIAGNOSTIC_HISTORIQUE", "1").strip().lower() not in ("0", "false", "non", "no", "off")

    # -- adding ------------------------------------------------------------------------------------
    def ajouter_telechargement(self, payload: bytes, meta: dict) -> Photo:
        """Keep a successful download (`meta` as made by `cache.download_meta`), then prune its territory."""
        source, territoire = str(meta["source"]), str(meta["territoire"])
        if source not in _SERVICES:
            raise ValueError(f"not a download source: {source!r}")
        instant = _instant(str(meta["telecharge_le"]))
        moment = _iso(instant)
        sha12 = hashlib.sha256(payload).hexdigest()[:12]
        local = instant.astimezone(_PARIS)
        with self._ecriture(territoire) as (dossier, existantes):
            chemin = dossier / f"{_compact(moment)}_{source}_{sha12}.photo"
            deja = next((p for p in existantes if p.chemin == chemin), None)
            if deja is not None:  # the same bytes recorded for the same second: one download, not two
                return deja
            refs = {p.ref for p in existantes}
            ref = next(r for r in _candidats(moment, sha12) if r not in refs)
            photo = Photo(
                ref=ref, date=moment[:10], moment=moment, source=source, territoire=territoire,
                libelle=f"{_SERVICES[source]}, téléchargement du {local:%d/%m/%Y à %H:%M}",
                lignes=int(meta["lignes"]), ajoutee=False, nom_fichier="", chemin=chemin,
            )
            self._ecrire(photo, payload)
        self.elaguer(territoire)
        return photo

    def ajouter_fichier(self, contenu: bytes, nom_fichier: str, territoire_id: str, date: str | dt.date, lignes: int) -> Photo:
        """Keep a user's file as the picture of `territoire_id` at `date` (YYYY-MM-DD, not in the future).

        The same content added again for the same territory gives back the picture already kept.
        """
        jour = _date_donnee(date)
        nom = re.split(r"[\\/]", str(nom_fichier or ""))[-1].strip()
        if not nom:
            raise ValueError("Le nom du fichier est nécessaire pour en reconnaître le format : indiquez-le.")
        sha12 = hashlib.sha256(contenu).hexdigest()[:12]
        moment = f"{jour.isoformat()}T00:00:00Z"
        with self._ecriture(territoire_id) as (dossier, existantes):
            deja = next((p for p in existantes if p.ajoutee and p.chemin.stem.endswith(f"_fichier_{sha12}")), None)
            if deja is not None:
                return deja
            photo = Photo(
                ref=f"{PREFIXE}{jour.isoformat()}~{sha12}", date=jour.isoformat(), moment=moment, source="fichier",
                territoire=territoire_id, libelle=f"Fichier {nom} ({jour:%d/%m/%Y})", lignes=int(lignes),
                ajoutee=True, nom_fichier=nom, chemin=dossier / f"{_compact(moment)}_fichier_{sha12}.photo",
            )
            self._ecrire(photo, contenu)
        return photo

    # -- reading -----------------------------------------------------------------------------------
    def photos(self, territoire_id: str | None = None) -> list[Photo]:
        """Pictures of `territoire_id` (France's included: they cover it), or all when None; newest first.

        Unreadable files are skipped, never raised: `illisibles` lists them.
        """
        return self._lister(territoire_id)[0]

    def illisibles(self, territoire_id: str | None = None) -> list[tuple[Path, str]]:
        """(file, French reason) of the picture files that `photos` skips."""
        return self._lister(territoire_id)[1]

    def trouver(self, ref: str, territoire_id: str) -> Photo:
        """The picture named by `ref`: a full ref, "historique:YYYY-MM-DD" (the newest of that day), with
        or without the prefix. The territory's own pictures win over France's."""
        voulu = ref.strip().removeprefix(PREFIXE)
        photos = self.photos(territoire_id)
        propres_dabord = sorted(photos, key=lambda p: p.territoire != territoire_id)  # stable: newest first within
        for critere in (lambda p: p.ref == PREFIXE + voulu, lambda p: p.moment == voulu, lambda p: p.date == voulu):
            trouvee = next((p for p in propres_dabord if critere(p)), None)
            if trouvee is not None:
                return trouvee
        if not photos:
            raise PhotoIntrouvable(
                f"Aucune photo « {ref} » pour ce territoire : l'historique est encore vide (chaque téléchargement "
                "réussi depuis l'API nationale ou le dataspace y ajoute une photo)."
            )
        dates = ", ".join(dict.fromkeys(date_courte(p.date) for p in photos))
        raise PhotoIntrouvable(f"Aucune photo « {ref} » pour ce territoire : photos disponibles du {dates}.")

    def contenu(self, photo: Photo) -> bytes:
        """The picture's payload, checked against its recorded size and sha256 (`PhotoIllisible` if not)."""
        try:
            data = photo.chemin.read_bytes()
        except FileNotFoundError:
            raise PhotoIllisible(
                f"La photo du {date_courte(photo.date)} n'existe plus (retirée de l'historique entre-temps) : choisissez-en une autre."
            ) from None
        except OSError as exc:
            raise PhotoIllisible(_illisible(photo, f"lecture impossible : {exc.strerror or exc}")) from exc
        try:
            header, payload = decode_entry(data, MAGIC)
            _photo(header, photo.chemin)
        except ValueError as exc:
            with contextlib.suppress(OSError):
                self._alteres[photo.chemin] = _empreinte(photo.chemin.stat())
            raise PhotoIllisible(_illisible(photo, str(exc))) from exc
        return payload

    # -- removing ----------------------------------------------------------------------------------
    def retirer(self, photo: Photo) -> None:
        """Remove a picture; one already gone (pruned by another process) is fine."""
        with contextlib.suppress(FileNotFoundError):
            photo.chemin.unlink()

    def elaguer(self, territoire_id: str) -> list[Photo]:
        """Apply the retention rule to the automatic downloads of `territoire_id`; returns those removed.

        Added files are never pruned. A reader of a removed picture still reads it whole (unlink keeps
        open files intact) or finds it gone, never half of it.
        """
        telechargements = [p for p in self._lister(territoire_id, avec_france=False)[0] if not p.ajoutee]
        gardees = {p.ref for p in self.retention.conservees(telechargements)}
        retirees = [p for p in telechargements if p.ref not in gardees]
        for photo in retirees:
            self.retirer(photo)
        return retirees

    # -- storage -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _ecriture(self, territoire_id: str) -> Iterator[tuple[Path, list[Photo]]]:
        """The territory's directory and its current pictures, under a lock held while a new one is
        written: choosing a free ref and writing it must not interleave with another process's."""
        dossier = self.directory / territory_key(territoire_id)
        dossier.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(dossier, ".*.tmp")
        with _verrou(dossier):
            yield dossier, self._lister(territoire_id, avec_france=False)[0]

    def _ecrire(self, photo: Photo, payload: bytes) -> None:
        header = {name: getattr(photo, name) for name in _FIELDS}
        write_entry(photo.chemin, MAGIC, header, payload)

    def _dossiers(self, territoire_id: str | None, avec_france: bool) -> list[Path]:
        if territoire_id is None:
            with contextlib.suppress(OSError):
                return sorted(p for p in self.directory.iterdir() if p.is_dir())
            return []
        ids = [territoire_id, "france"] if avec_france and territoire_id != "france" else [territoire_id]
        return [self.directory / territory_key(i) for i in ids]

    def _lister(self, territoire_id: str | None, avec_france: bool = True) -> tuple[list[Photo], list[tuple[Path, str]]]:
        voulus = None if territoire_id is None else {territoire_id, "france"} if avec_france else {territoire_id}
        photos, illisibles = [], []
        for dossier in self._dossiers(territoire_id, avec_france):
            try:
                chemins = sorted(dossier.glob("*.photo"))
            except OSError:
                continue
            for chemin in chemins:
                try:
                    photo = self._lire_entete(chemin)
                except FileNotFoundError:  # pruned by another process meanwhile
                    continue
                except OSError as exc:
                    illisibles.append((chemin, f"lecture impossible ({exc.strerror or exc})"))
                    continue
                except ValueError as exc:
                    illisibles.append((chemin, str(exc)))
                    continue
                # Two ids may share a file-safe key ("dep:29", "dep-29"): the header says whose it is.
                if voulus is None or photo.territoire in voulus:
                    photos.append(photo)
        photos.sort(key=lambda p: (p.moment, p.ref), reverse=True)
        return photos, illisibles

    def _lire_entete(self, chemin: Path) -> Photo:
        with chemin.open("rb") as f:
            debut = f.readline(len(MAGIC)) + f.readline(_MAX_HEADER)
            etat = os.fstat(f.fileno())
        header, offset = decode_header(debut, MAGIC)
        if etat.st_size != offset + int(header["taille"]):
            raise ValueError("fichier incomplet")
        if self._alteres.get(chemin) == _empreinte(etat):
            raise ValueError("contenu altéré")
        return _photo(header, chemin)


def _photo(header: dict, chemin: Path) -> Photo:
    try:
        photo = Photo(
            ref=str(header["ref"]), date=str(header["date"]), moment=str(header["moment"]),
            source=str(header["source"]), territoire=str(header["territoire"]), libelle=str(header["libelle"]),
            lignes=int(header["lignes"]), ajoutee=bool(header["ajoutee"]), nom_fichier=str(header["nom_fichier"]),
            chemin=chemin,
        )
        _instant(photo.moment)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("métadonnées illisibles") from exc
    if photo.source not in SOURCES or not _DATE.match(photo.date) or not photo.ref.startswith(PREFIXE):
        raise ValueError("métadonnées illisibles")
    return photo


@contextlib.contextmanager
def _verrou(dossier: Path) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    fd = os.open(dossier / ".verrou", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if the process is killed
        yield
    finally:
        os.close(fd)


def _candidats(moment: str, sha12: str) -> Iterator[str]:
    yield f"{PREFIXE}{moment}"
    yield f"{PREFIXE}{moment}~{sha12}"
    n = 2
    while True:
        yield f"{PREFIXE}{moment}~{sha12}-{n}"
        n += 1


def _instant(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compact(moment: str) -> str:
    return moment.replace("-", "").replace(":", "")


def _mois(when: dt.datetime) -> int:
    when = when.astimezone(dt.UTC)
    return when.year * 12 + when.month - 1


def _date_donnee(date: str | dt.date) -> dt.date:
    if isinstance(date, dt.datetime):
        date = date.date()
    if not isinstance(date, dt.date):
        texte = str(date).strip()
        try:
            if not _DATE.match(texte):
                raise ValueError
            date = dt.date.fromisoformat(texte)
        except ValueError:
            raise ValueError(
                f"La date « {texte} » n'est pas une date valide : indiquez-la au format AAAA-MM-JJ (par exemple 2024-09-12)."
            ) from None
    # Paris is ahead of UTC: its today is the latest date a user in France can mean.
    if date > dt.datetime.now(_PARIS).date():
        raise ValueError(f"La date du {date:%d/%m/%Y} est dans le futur : indiquez la date des données du fichier.")
    return date


def _entier_env(name: str, defaut: int) -> int:
    try:
        valeur = int(os.environ.get(name, "").strip())
    except ValueError:
        return defaut
    return valeur if valeur >= 0 else defaut


def _empreinte(etat: os.stat_result) -> tuple[int, int]:
    return etat.st_size, etat.st_mtime_ns


def _illisible(photo: Photo, pourquoi: str) -> str:
    return (
        f"La photo du {date_courte(photo.date)} ({photo.chemin.name}) est illisible ({pourquoi}) : elle est ignorée ; "
        "choisissez-en une autre."
    )
