"""Rebuild the committed `data/` folder from the raw public files of `../shared/data` (`make data`)."""
