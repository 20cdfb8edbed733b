"""Test-wide settings: property tests are derandomized in CI so that a landing is judged on the same
examples every time; local runs keep exploring new ones (failures found there go to the regression corpus)."""
import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def running_server():
    """The local stand-in for the national API and the dataspace (tests/fake_api.py), one per module."""
    from fake_api import FakeApi

    with FakeApi() as fake:
        yield fake


@pytest.fixture
def server(running_server):
    running_server.reset()
    return running_server


@pytest.fixture(autouse=True)
def _cache_hors_du_compte(tmp_path_factory, monkeypatch):
    """Every download now also lands in the history of pictures under the cache directory: no test
    may write into the user's own cache (~/.cache/diagnostic-inclusion)."""
    if "DIAGNOSTIC_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path_factory.mktemp("cache_utilisateur")))
