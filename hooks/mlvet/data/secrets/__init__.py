"""Bundled detect-secrets plugin file; `python -m mlvet.data.secrets` prints its path."""
