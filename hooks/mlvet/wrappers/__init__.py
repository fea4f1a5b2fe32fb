"""Wrappers around well-kept tools: ruff, bandit, detect-secrets, nbstripout, safety."""
