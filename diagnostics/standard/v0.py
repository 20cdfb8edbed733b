"""The legacy standard (v0.1.x, 2022) mapped to v1.0.2, as data: column names and vocabularies.

Keys of the value tables are v0 labels without their " : explanation" suffix; the normalizer compares
them accent-, case- and punctuation-insensitively, so only one spelling of each is needed here.
Choices that are ours rather than ANCT's are marked "ours" with the reason.
"""

from __future__ import annotations

# Header (accent-free, lower-case, `_`-separated) → the role the column plays. A role is a v1 field
# name, or one of the v0 columns whose values are split over several v1 fields (see VALUE_GROUPS).
COLUMN_ALIASES: dict[str, str] = {
    "courriel": "courriels",
    "email": "courriels",
    "e_mail": "courriels",
    "mail": "courriels",
    "conditions_acces": "conditions_acces",
    "conditions_access": "conditions_acces",  # seen in the CNFS 2022 file
    "labels_nationaux": "labels_nationaux",
    "labels_autres": "autres_formations_labels",
    "publics_accueillis": "publics_accueillis",
    "public_accueillis": "publics_accueillis",  # seen in real files
    "accessibilite": "fiche_acces_libre",
    "cle_ban": "cle_ban",
    "tel": "telephone",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    # Plain spreadsheet and export headers (e.g. the Aidants Connect structures export).
    "name": "nom",
    "nom_de_la_structure": "nom",
    "address": "adresse",
    "city": "commune",
    "ville": "commune",
    "zip_code": "code_postal",
    "cp": "code_postal",
    "city_insee_code": "code_insee",
    "siret": "pivot",
    "telephone_fixe": "telephone",
    "site_internet": "site_web",
}

# v0 columns that have no place in v1: read, reported, not kept.
DROPPED_COLUMNS: dict[str, str] = {"cle_ban": "clé BAN, supprimée du standard v1"}

# Families of columns whose values are pooled then redistributed over v1 fields: a v0 cell of
# publics_accueillis feeds both publics_specifiquement_adresses and prise_en_charge_specifique.
VALUE_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (source roles, v1 target fields)
    "services": (("services",), ("services",)),
    "publics": (
        ("publics_accueillis", "publics_specifiquement_adresses", "prise_en_charge_specifique"),
        ("publics_specifiquement_adresses", "prise_en_charge_specifique"),
    ),
    "frais": (("conditions_acces", "frais_a_charge"), ("frais_a_charge",)),
    "labels": (
        ("labels_nationaux", "dispositif_programmes_nationaux", "formations_labels"),
        ("dispositif_programmes_nationaux", "formations_labels"),
    ),
    "itinerance": (("itinerance",), ("itinerance",)),
    "modalites_acces": (("modalites_acces",), ("modalites_acces",)),
    "modalites_accompagnement": (("modalites_accompagnement",), ("modalites_accompagnement",)),
}

# v0 service → v1 services (ANCT mapping of mednum-cli; santé → démarches as in another ANCT config).
SERVICES: dict[str, tuple[str, ...]] = {
    "Devenir autonome dans les démarches administratives": ("Aide aux démarches administratives",),
    "Réaliser des démarches administratives avec un accompagnement": ("Aide aux démarches administratives",),
    "Accompagner les démarches de santé": ("Aide aux démarches administratives",),
    "Prendre en main un smartphone ou une tablette": ("Maîtrise des outils numériques du quotidien",),
    "Prendre en main un ordinateur": ("Maîtrise des outils numériques du quotidien",),
    "Utiliser le numérique au quotidien": ("Maîtrise des outils numériques du quotidien",),
    "Approfondir ma culture numérique": (
        "Utilisation sécurisée du numérique",
        "Loisirs et créations numériques",
        "Compréhension du monde numérique",
    ),
    # No v1 value: ANCT's own v1 conversion of the Hub du Sud file drops it (7 rows out of 7).
    "Promouvoir la citoyenneté numérique": (),
    "Favoriser mon insertion professionnelle": ("Insertion professionnelle via le numérique",),
    # ANCT's own v1 conversion of the Hub du Sud file does this (5 rows out of 5).
    "Créer et développer mon entreprise": ("Insertion professionnelle via le numérique",),
    "Accéder à une connexion internet": ("Accès internet et matériel informatique",),
    "Accéder à du matériel": ("Accès internet et matériel informatique",),
    "S'équiper en matériel informatique": ("Acquisition de matériel informatique à prix solidaire",),
    "Créer avec le numérique": ("Loisirs et créations numériques",),
    "Soutenir la parentalité et l'éducation avec le numérique": ("Parentalité et éducation avec le numérique",),
}



def classes_services() -> dict[str, str]:
    """v1 service → its class: the v1 services a single v0 value may stand for are one class.

    A file converted from v0 cannot say which of « Utilisation sécurisée du numérique », « Loisirs et
    créations numériques » and « Compréhension du monde numérique » a place offers (ANCT's own
    conversions of the same file differ there); comparing such a file with another compares classes.
    """
    parent: dict[str, str] = {}

    def racine(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for cibles in SERVICES.values():
        for autre in cibles[1:]:
            parent[racine(autre)] = racine(cibles[0])
    membres: dict[str, list[str]] = {}
    for service in {s for cibles in SERVICES.values() for s in cibles}:
        membres.setdefault(racine(service), []).append(service)
    return {s: " / ".join(sorted(groupe)) for groupe in membres.values() for s in groupe}


_PUBLICS = "publics_specifiquement_adresses"
_PRISE_EN_CHARGE = "prise_en_charge_specifique"

# v0 public → (v1 field, value) pairs. "Adultes" means everyone: v1 has no such value and needs none.
PUBLICS: dict[str, tuple[tuple[str, str], ...]] = {
    "Seniors (+ 65 ans)": ((_PUBLICS, "Seniors"),),
    "Familles/enfants": ((_PUBLICS, "Familles et/ou enfants"),),
    "Adultes": (),
    "Jeunes (16-26 ans)": ((_PUBLICS, "Jeunes"),),
    "Uniquement femmes": ((_PUBLICS, "Femmes"),),
    # ours: v0 did not say which language; "autres" is the less specific of the two v1 values.
    "Public langues étrangères": ((_PRISE_EN_CHARGE, "Langues étrangères (autres)"),),
    "Déficience visuelle": ((_PRISE_EN_CHARGE, "Déficience visuelle"),),
    "Surdité": ((_PRISE_EN_CHARGE, "Surdité"),),
    # ours: v1 dropped psychic disabilities; mental disabilities is the nearest value.
    "Handicaps psychiques": ((_PRISE_EN_CHARGE, "Handicaps mentaux"),),
    "Handicaps mentaux": ((_PRISE_EN_CHARGE, "Handicaps mentaux"),),
    "Personnes en situation d'illettrisme": ((_PRISE_EN_CHARGE, "Illettrisme"),),
}

# v0 access condition → v1 fees (Adhésion → Payant as in ANCT's configs).
FRAIS: dict[str, tuple[str, ...]] = {
    "Gratuit": ("Gratuit",),
    "Gratuit sous condition": ("Gratuit sous condition",),
    "Payant": ("Payant",),
    "Adhésion": ("Payant",),
    "Accepte le Pass numérique": (),
}

_DISPOSITIFS = "dispositif_programmes_nationaux"
_FORMATIONS = "formations_labels"
AUTRES_LABELS = "autres_formations_labels"

# v0 national label → (v1 field, value); labels with no v1 equivalent keep their name in the free field.
LABELS: dict[str, tuple[tuple[str, str], ...]] = {
    "France Services": ((_DISPOSITIFS, "France Services"),),
    "CNFS": ((_DISPOSITIFS, "Conseillers numériques"),),
    "Aidants Connect": ((_DISPOSITIFS, "Aidants Connect"),),
    "Grandes écoles du numérique": ((_DISPOSITIFS, "Grande école du numérique"),),
    "Point numérique CAF": ((_DISPOSITIFS, "Point d'accès numérique CAF"),),
    "Fabriques de Territoire": ((_FORMATIONS, "Fabriques de Territoire"),),
    "APTIC": ((AUTRES_LABELS, "APTIC"),),
    "Point relais CAF": ((AUTRES_LABELS, "Point relais CAF"),),
    "Relais pôle emploi": ((AUTRES_LABELS, "Relais pôle emploi"),),
    "French Tech": ((AUTRES_LABELS, "French Tech"),),
    "Campus connecté": ((AUTRES_LABELS, "Campus connecté"),),
}

# v0 phrase (before " : ") → v1 support mode; "A ma place" (done for the person) is individual support.
MODALITES_ACCOMPAGNEMENT: dict[str, tuple[str, ...]] = {
    "Seul": ("En autonomie",),
    "Avec de l'aide": ("Accompagnement individuel",),
    "Dans un atelier": ("Dans un atelier collectif",),
    "A ma place": ("Accompagnement individuel",),
}

# Known v0 values without a v1 equivalent that are worth telling the user about, row by row.
NOTES_SANS_EQUIVALENT: dict[str, str] = {
    "Accepte le Pass numérique": "accepte le Pass numérique (sans équivalent dans le standard v1)",
    "Promouvoir la citoyenneté numérique": "promouvoir la citoyenneté numérique (service sans équivalent dans le standard v1)",
}

# Per value group: the v0 table and the v1 field its plain values go to.
V0_VALUES: dict[str, tuple[dict, str]] = {
    "services": (SERVICES, "services"),
    "publics": (PUBLICS, ""),
    "frais": (FRAIS, "frais_a_charge"),
    "labels": (LABELS, ""),
    "modalites_accompagnement": (MODALITES_ACCOMPAGNEMENT, "modalites_accompagnement"),
}
