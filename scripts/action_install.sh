#!/usr/bin/env bash
# Installs mlvet from the action's own checkout, so @v1 and @<sha> run exactly that code.
set -euo pipefail
root="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
extras=("${root}[all]")
if [ "${MLVET_MODE:-mlvet}" = "pre-commit" ]; then
  extras+=("pre-commit")
fi
python -m pip install --disable-pip-version-check --quiet "${extras[@]}"
mlvet --version
