#!/usr/bin/env bash
# The Action's one step: `mlvet run` with the inputs (all passed through the environment).
# Writes annotations to the log, SARIF to MLVET_SARIF_FILE, a job summary, and outputs.
set -uo pipefail

out="${GITHUB_OUTPUT:-/dev/null}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
mode="${MLVET_MODE:-mlvet}"

case "$mode" in
  mlvet) ;;
  pre-commit)
    if [ ! -f .pre-commit-config.yaml ]; then
      echo "::error title=mlvet::mode: pre-commit needs a .pre-commit-config.yaml in the repository"
      echo "exit-code=2" >>"$out"
      exit 2
    fi
    pre-commit run --all-files --show-diff-on-failure --color always
    status=$?
    {
      echo "sarif-file="
      echo "exit-code=$status"
    } >>"$out"
    exit "$status"
    ;;
  *)
    echo "::error title=mlvet::unknown mode '$mode' (use mlvet or pre-commit)"
    echo "exit-code=2" >>"$out"
    exit 2
    ;;
esac

# Paths: split on white space (spaces or new lines in the input).
read -r -d '' -a paths <<<"${MLVET_PATHS:-.}" || true
[ "${#paths[@]}" -gt 0 ] || paths=(.)

if [ "${MLVET_CHANGED_ONLY:-false}" = "true" ] && [ -n "${MLVET_BASE_REF:-}" ]; then
  if git fetch --no-tags --quiet --depth=1 origin "$MLVET_BASE_REF" 2>/dev/null; then
    mapfile -d '' changed < <(git diff -z --name-only --diff-filter=ACMR FETCH_HEAD HEAD -- "${paths[@]}")
    if [ "${#changed[@]}" -eq 0 ]; then
      echo "mlvet: no changed files to check"
      printf '## mlvet\n\nNo changed files to check.\n' >>"$summary"
      {
        echo "errors=0"; echo "warnings=0"; echo "notes=0"; echo "total=0"
        echo "sarif-file="; echo "exit-code=0"
      } >>"$out"
      exit 0
    fi
    paths=("${changed[@]}")
  else
    echo "::warning title=mlvet::could not fetch the base branch; checking every file"
  fi
fi

args=(run --hooks "${MLVET_HOOKS:-}" --fail-on "${MLVET_FAIL_ON:-warning}"
      --summary "$summary" --outputs "$out")
if [ -n "${MLVET_SARIF_FILE:-}" ]; then
  args+=(--sarif "$MLVET_SARIF_FILE")
  echo "sarif-file=$MLVET_SARIF_FILE" >>"$out"
fi
if [ -n "${MLVET_CONFIG:-}" ]; then
  args+=(--config "$MLVET_CONFIG")
fi
if [ "${MLVET_ANNOTATIONS:-true}" = "true" ]; then
  args+=(--annotations)
fi

echo "mlvet ${args[*]} -- ${paths[*]}"
NO_COLOR=1 mlvet "${args[@]}" -- "${paths[@]}"
status=$?
# A usage or configuration error ends mlvet before it writes its outputs.
if ! grep -q '^exit-code=' "$out" 2>/dev/null; then
  echo "exit-code=$status" >>"$out"
fi
exit "$status"
