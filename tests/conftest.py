"""Test-wide settings: property tests are derandomized in CI so that a landing is judged on the same
examples every time; local runs keep exploring new ones (failures found there go to the regression corpus)."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
