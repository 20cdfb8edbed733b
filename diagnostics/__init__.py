"""Diagnostic territorial des lieux d'inclusion numérique."""
