"""The closed vocabularies (services, publics, modalités, labels…): v0 and misspelt values → v1 values.

A v0 column may feed several v1 fields (`v0.VALUE_GROUPS`); a value without a v1 equivalent is
dropped with a note, or moved to `autres_formations_labels` for labels.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from . import regles, v0
from .fields import ENUMS, LIST_SEPARATOR


CONVERSION_V0 = "valeurs v0 converties en v1"  # the rule's words in `Normalisation.changements`


@cache
def _group_lookup(group: str) -> dict[str, tuple[tuple[tuple[str, str], ...], bool, str]]:
    """Value key → ((v1 field, value), …), whether it is a v0 value, note when it has no equivalent."""
    _, targets = v0.VALUE_GROUPS[group]
    lookup = {}
    for target in targets:
        for value in ENUMS[target]:
            lookup[regles.value_key(value)] = (((target, value),), False, "")
    table, plain_target = v0.V0_VALUES.get(group, ({}, ""))
    for label, mapped in table.items():
        pairs = tuple((plain_target, m) if isinstance(m, str) else m for m in mapped)
        lookup.setdefault(regles.value_key(label), (pairs, True, v0.NOTES_SANS_EQUIVALENT.get(label, "")))
    return lookup


def group_rule(group: str, role: str) -> Callable[[str], tuple]:
    """Rule for one source column of a value group → (one value per target…, extra labels, rule, note)."""
    _, targets = v0.VALUE_GROUPS[group]
    lookup = _group_lookup(group)

    def rule(text: str) -> tuple:
        found: dict[str, list[str]] = {t: [] for t in [*targets, v0.AUTRES_LABELS]}
        reasons, notes = [], []
        if text.strip().lower() in regles.BLANK_MARKERS:
            reasons.append("marqueur de valeur vide retiré")
            text = ""
        for item in regles.split_items(text):
            hit = lookup.get(regles.value_key(item))
            if hit is None and ":" in item:
                hit = lookup.get(regles.value_key(item.split(":", 1)[0]))
            if hit is None and group == "labels":
                found[v0.AUTRES_LABELS].append(item)
                reasons.append("label sans équivalent v1 déplacé vers autres_formations_labels")
                continue
            if hit is None:
                notes.append(f"valeur non reconnue retirée de {role} : « {item} »")
                reasons.append("valeur non reconnue retirée (voir anomalies)")
                continue
            pairs, is_v0, note = hit
            if is_v0 or role not in targets:
                reasons.append(CONVERSION_V0 if pairs else "valeur v0 sans équivalent v1 retirée")
            elif pairs[0][1] != item:
                reasons.append("orthographe corrigée")
            if note:
                notes.append(note)
            for target, value in pairs:
                found[target].append(value)
        joined = [LIST_SEPARATOR.join(regles.unique(found[t])) for t in [*targets, v0.AUTRES_LABELS]]
        why = ", ".join(regles.unique(reasons)) or (text and "liste normalisée (séparateur « | », doublons retirés)")
        return (*joined, why, "; ".join(regles.unique(notes)))

    return rule


def dedupe_list(value: str) -> tuple[str, str, str]:
    return LIST_SEPARATOR.join(regles.unique(value.split(LIST_SEPARATOR))) if value else "", "", ""


def merge_text(parts: list[np.ndarray], sep: str) -> np.ndarray:
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        part = np.asarray(part, dtype=object)
        joined = np.array([a + sep + b for a, b in zip(out, part)], dtype=object) if out.size else out
        out = np.where((part == "") | (part == out), out, np.where(out == "", part, joined))
    return out
