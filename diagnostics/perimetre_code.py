"""Compact, URL-safe text form of a perimeter (its name, its communes, the peers its user chose), with a
checksum so that a link cut or altered in an e-mail is refused instead of silently giving other communes.

Pure functions on strings and bytes: `territories` reads identifiers with it, `perimetres` writes them.
Layout before encoding: version byte, then varints — name length, name (UTF-8), peers length, peers
(comma-separated ids, UTF-8), number of communes, then the gaps between the sorted commune numbers.
The whole is raw-deflated, followed by its CRC-32, then base64url without padding.
"""
from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass

VERSION = 1
MAX_COMMUNES = 35_000  # more than the 34,875 communes with reference geometry: any real perimeter fits
MAX_NOM = 120
MAX_OCTETS = 64 * 1024  # a decoded payload larger than this is not one we wrote
# Characters a perimeter's name never holds (see `perimetres.nettoyer_nom`): a hand-made identifier
# carrying them is refused, since the name is shown in titles and sentences.
BALISAGE = frozenset("<>[]*_`#|~\\{}$^=")
_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_CORSE = {"2A": 100_000, "2B": 101_000}  # above every numeric code, so numbers stay unique


class CodeAbime(ValueError):
    """The text is not a perimeter we wrote (cut, altered, or never one): French message."""


@dataclass(frozen=True)
class Contenu:
    nom: str
    codes: tuple[str, ...]  # sorted 2026 commune codes
    pairs: tuple[str, ...] = ()  # territory ids the user chose as peers


def _numero(code: str) -> int:
    if not _CODE.match(code):
        raise ValueError(f"code commune invalide : {code!r}")
    if code[:2] in _CORSE:
        return _CORSE[code[:2]] + int(code[2:])
    return int(code)


def _code(numero: int) -> str:
    for prefixe, base in _CORSE.items():
        if base <= numero < base + 1000:
            return f"{prefixe}{numero - base:03d}"
    if 0 <= numero < 100_000:
        return f"{numero:05d}"
    raise CodeAbime("numéro de commune hors des codes INSEE")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        octet, n = n & 0x7F, n >> 7
        out.append(octet | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _lire_varint(data: bytes, pos: int) -> tuple[int, int]:
    n = decalage = 0
    while True:
        if pos >= len(data) or decalage > 35:
            raise CodeAbime("donnée tronquée")
        octet = data[pos]
        pos += 1
        n |= (octet & 0x7F) << decalage
        decalage += 7
        if not octet & 0x80:
            return n, pos


def _texte(data: bytes, pos: int) -> tuple[str, int]:
    longueur, pos = _lire_varint(data, pos)
    if pos + longueur > len(data):
        raise CodeAbime("texte tronqué")
    try:
        return data[pos:pos + longueur].decode("utf-8"), pos + longueur
    except UnicodeDecodeError as exc:
        raise CodeAbime("texte illisible") from exc


def encoder(contenu: Contenu) -> str:
    """The URL-safe text of a perimeter (only letters, digits, '-' and '_')."""
    numeros = sorted({_numero(c) for c in contenu.codes})
    if not numeros or len(numeros) > MAX_COMMUNES:
        raise ValueError(f"un périmètre compte de 1 à {MAX_COMMUNES} communes")
    nom = contenu.nom.encode("utf-8")
    pairs = ",".join(contenu.pairs).encode("utf-8")
    brut = bytearray([VERSION])
    brut += _varint(len(nom)) + nom + _varint(len(pairs)) + pairs + _varint(len(numeros))
    precedent = 0
    for numero in numeros:
        brut += _varint(numero - precedent)
        precedent = numero
    compresseur = zlib.compressobj(9, zlib.DEFLATED, -15)
    corps = compresseur.compress(bytes(brut)) + compresseur.flush()
    somme = zlib.crc32(corps).to_bytes(4, "big")
    return base64.urlsafe_b64encode(corps + somme).rstrip(b"=").decode("ascii")


_MESSAGE = (
    "Le lien du périmètre est abîmé ou incomplet ({raison}) : il a sans doute été coupé ou modifié en "
    "étant copié. Demandez le lien complet à la personne qui l'a partagé, ou le fichier JSON du périmètre."
)


def decoder(texte: str) -> Contenu:
    """The perimeter written in `texte` by `encoder`; `CodeAbime` (French message) if the text was cut,
    altered or is not one. Spaces and line breaks an e-mail client inserted are ignored."""
    propre = re.sub(r"\s+|%0[aAdD]|%20", "", texte or "")
    if not propre or not re.fullmatch(r"[A-Za-z0-9_-]+", propre) or len(propre) > MAX_OCTETS * 2:
        raise CodeAbime(_MESSAGE.format(raison="caractères inattendus"))
    try:
        octets = base64.urlsafe_b64decode(propre + "=" * (-len(propre) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CodeAbime(_MESSAGE.format(raison="longueur impossible")) from exc
    corps, somme = octets[:-4], octets[-4:]
    if len(octets) < 5 or zlib.crc32(corps).to_bytes(4, "big") != somme:
        raise CodeAbime(_MESSAGE.format(raison="somme de contrôle fausse"))
    try:
        decompresseur = zlib.decompressobj(-15)
        brut = decompresseur.decompress(corps, MAX_OCTETS)
    except zlib.error as exc:
        raise CodeAbime(_MESSAGE.format(raison="données illisibles")) from exc
    if decompresseur.unconsumed_tail:
        raise CodeAbime(_MESSAGE.format(raison="trop volumineux"))
    try:
        return _lire(brut)
    except CodeAbime as exc:
        raise CodeAbime(_MESSAGE.format(raison=str(exc))) from exc


def _lire(brut: bytes) -> Contenu:
    if not brut or brut[0] != VERSION:
        raise CodeAbime("version inconnue")
    nom, pos = _texte(brut, 1)
    pairs, pos = _texte(brut, pos)
    nombre, pos = _lire_varint(brut, pos)
    if not 0 < nombre <= MAX_COMMUNES or len(nom) > MAX_NOM:
        raise CodeAbime("taille impossible")
    if any(c in BALISAGE or (ord(c) < 32) for c in nom):
        raise CodeAbime("nom invalide")
    codes, numero = [], 0
    for _ in range(nombre):
        ecart, pos = _lire_varint(brut, pos)
        if ecart == 0 and codes:
            raise CodeAbime("commune répétée")
        numero += ecart
        codes.append(_code(numero))
    if pos != len(brut):
        raise CodeAbime("données en trop")
    return Contenu(nom=nom, codes=tuple(sorted(codes)), pairs=tuple(p for p in pairs.split(",") if p))
