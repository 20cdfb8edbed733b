"""Opening a dashboard page headless (Streamlit AppTest) as a visitor does: app.py with the URL's
parameters, then a switch to the page; and the check that it ran without error."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def ouvrir(territoire: str, page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = territoire
    for cle, valeur in params.items():
        at.query_params[cle] = valeur
    at.run()
    at.switch_page(page)
    return at.run()


def sans_erreur(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
