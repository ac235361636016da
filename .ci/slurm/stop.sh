#!/usr/bin/env bash
# Stop the cluster that .ci/slurm/start.sh STATE_DIR started: cancel its jobs (so that no job
# step outlives slurmd), then end each daemon it recorded in STATE_DIR/pids, newest first, by
# pid (TERM, then KILL after 20 s). Safe to call twice or after a failed start.
set -uo pipefail

STATE=${1:?usage: stop.sh STATE_DIR}
[[ -f $STATE/pids ]] || exit 0
log() { echo "[slurm stop $(date +%T)] $*" >&2; }

alive() { kill -0 "$1" 2> /dev/null; }

if [[ -f $STATE/slurm.conf ]] && grep -q '^slurmctld ' "$STATE/pids"; then
    export SLURM_CONF=$STATE/slurm.conf
    if timeout 20 scancel --user="$(id -un)" 2> /dev/null; then
        for _ in $(seq 40); do
            [[ -z $(timeout 10 squeue -h -o %i 2> /dev/null) ]] && break
            sleep 0.5
        done
    fi
fi

tac "$STATE/pids" | while read -r name pid; do
    alive "$pid" || continue
    kill -TERM "$pid" 2> /dev/null
    for _ in $(seq 40); do
        alive "$pid" || break
        sleep 0.5
    done
    if alive "$pid"; then
        log "$name ($pid) ignored TERM: KILL"
        kill -KILL "$pid" 2> /dev/null
    fi
    log "stopped $name ($pid)"
done
rm -f "$STATE/pids"
