"""`make audit-a11y`'s own parts: the split between our HTML and Streamlit's, and the previous release's map
rebuilt from git (whose uncorrected light colours the audit must catch)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import axe
from app_server import NAVIGATEUR_REQUIS, chromium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import audit_a11y  # noqa: E402

pytestmark = NAVIGATEUR_REQUIS


@pytest.fixture(scope="module")
def navigateur():
    with chromium() as browser:
        yield browser


def test_partage_entre_notre_html_et_streamlit(navigateur):
    page = navigateur.new_page()
    page.set_content(
        '<html lang="fr"><head><title>t</title></head><body><main>'
        '<div data-testid="stMarkdownContainer"><img src="data:,"></div>'
        '<div class="widget"><button></button></div></main></body></html>'
    )
    notres, streamlit = audit_a11y._partager(page, axe.auditer(page))
    assert [v["id"] for v in notres] == ["image-alt"]
    assert [v["id"] for v in streamlit] == ["button-name"]
    page.close()


@pytest.mark.skipif(
    subprocess.run(["git", "cat-file", "-e", f"{audit_a11y.VERSION_PRECEDENTE}^{{commit}}"], cwd=ROOT).returncode != 0,
    reason=f"historique git sans {audit_a11y.VERSION_PRECEDENTE} (clone superficiel)",
)
def test_carte_precedente_reconstruite_depuis_git(navigateur, tmp_path):
    precedente = audit_a11y.carte_precedente(navigateur, tmp_path, **audit_a11y.COULEURS_CLAIRES)
    actuelle = audit_a11y.carte_actuelle(navigateur, tmp_path, **audit_a11y.COULEURS_CLAIRES)
    assert set(precedente) == set(actuelle) and len(actuelle) == 6
    # the previous template wrote white on the chosen yellow: the audit sees it; today's map corrects it
    assert all(any(v["id"] == "color-contrast" for v in axe.graves(vs)) for vs in precedente.values())
    assert all(axe.graves(vs) == [] for vs in actuelle.values())
