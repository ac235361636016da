#!/usr/bin/env bash
# `make test-cluster`: start a single-node SLURM cluster, run tests/cluster against it with a
# hard time limit, and stop the daemons (by pid) whatever happens.
#   PYTHON=.venv/bin/python .ci/slurm/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
LIMIT_S=${SLURM_TEST_LIMIT_S:-900}  # measured 693 s on a 2-core machine shared with 4 other jobs

STATE=$(mktemp -d /tmp/icnn-slurm.XXXXXX)
cleanup() {
    local code=$?
    bash .ci/slurm/stop.sh "$STATE"
    if ((code)); then
        echo "cluster test failed ($code); daemon logs:" >&2
        tail -n 15 "$STATE"/log/*.log >&2 || true
        tail -n 40 "$STATE"/pytest/cluster0/first.log >&2 || true
    fi
    rm -rf "$STATE"
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
bash .ci/slurm/start.sh "$STATE"
echo "cluster up in $((SECONDS - start)) s"
source "$STATE/env.sh"
# --basetemp: a private folder (pytest prunes old ones of the user's in the shared default).
# -k: a run that ignores TERM is killed 10 s later; a hung status query fails the test instead of CI
timeout -k 10 "$LIMIT_S" "$PYTHON" -m pytest -q -s -p no:cacheprovider --basetemp "$STATE/pytest" tests/cluster
echo "cluster test done in $((SECONDS - start)) s"
