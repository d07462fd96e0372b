#!/usr/bin/env bash
# Regenerate the workflow's regression fixture: the demo run's numbers at one commit.
#
#   scripts/dev/regenerate_fixture.sh [COMMIT]      (default: HEAD)
#
# It exports COMMIT's tracked files (git archive) into a temporary directory, runs the
# whole workflow there on the demo config with COMMIT's own library (PYTHONPATH points at
# the exported src/, ahead of the editable install), and keeps results/estimates.csv and
# every figure's .tsv under tests/workflow/fixtures/main-<short hash>/ (the old fixture
# directory is removed). tests/workflow/test_workflow.py compares every demo run with it.
#
# When to run it: only when a commit is meant to change a number the workflow writes (a
# statistical change, a new method in the demo config, new demo lists), and then from that
# commit, saying in its message why the numbers moved. Never to make a failing comparison
# pass: a refactoring that changes the fixture has changed the statistics.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
commit="$(git -C "$root" rev-parse "${1:-HEAD}")"
short="$(git -C "$root" rev-parse --short=7 "$commit")"
python="${PYTHON:-$root/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git -C "$root" archive "$commit" | tar -x -C "$work"
lib="$(cd "$work" && PYTHONPATH="$work/src" "$python" -c 'import undercount; print(undercount.__file__)')"
case "$lib" in
"$work"/*) ;;
*) echo "regenerate_fixture: undercount was imported from $lib, not from $commit's src/" >&2; exit 1 ;;
esac
echo "regenerate_fixture: running the demo workflow at $short in $work (a few minutes)" >&2
(cd "$work" && PYTHONPATH="$work/src" "$python" -m snakemake --cores 2 --quiet rules >"$work/snakemake.log" 2>&1) || {
    tail -40 "$work/snakemake.log" >&2
    exit 1
}

fixtures="$root/tests/workflow/fixtures"
out="$fixtures/main-$short"
rm -rf "$fixtures"/main-*
mkdir -p "$out"
cp "$work/results/estimates.csv" "$out/estimates.csv"
(cd "$work/results" && find figures -name '*.tsv' | LC_ALL=C sort) | while read -r tsv; do
    mkdir -p "$out/$(dirname "$tsv")"
    cp "$work/results/$tsv" "$out/$tsv"
done
printf '%s\n' "$commit" >"$out/COMMIT"
echo "regenerate_fixture: wrote $(find "$out" -type f | wc -l) files to ${out#"$root"/}" >&2
