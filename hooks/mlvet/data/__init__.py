"""Bundled data: ruff/bandit profiles, secret detector plugins."""
