#!/usr/bin/env bash
# Stop the daemons .ci/slurm/start.sh started, by their pid files only (never by name), and put
# back a foreign /etc/slurm/slurm.conf if start.sh set one aside (else remove ours). Cancels our leftover jobs first.
# SLURM_CI_PURGE=1 also removes the state folder.
set -uo pipefail

STATE=${SLURM_CI_STATE:-/tmp/scaling-dmft-slurm}
CONF=/etc/slurm/slurm.conf

stop_pid() {  # name pidfile
    local name=$1 pidfile=$2 pid
    [[ -s $pidfile ]] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "stop.sh: $name ($pid) still alive after 10 s, sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
        echo "stop.sh: stopped $name ($pid)"
    fi
    rm -f "$pidfile"
}

if [[ -s $STATE/slurmctld.pid ]] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
    scancel --user=root --quiet 2>/dev/null || true
fi
stop_pid slurmd "$STATE/slurmd.pid"
stop_pid slurmctld "$STATE/slurmctld.pid"
if [[ -s $STATE/munged.pid ]]; then
    stop_pid munged "$STATE/munged.pid"
    rm -f "$STATE/munge/munged.pid"
fi
if [[ -e $CONF.scaling-dmft-orig ]]; then
    mv -f "$CONF.scaling-dmft-orig" "$CONF"
elif [[ -f $CONF ]] && head -1 "$CONF" | grep -q '^# scaling-dmft CI'; then
    # ours, and nothing was there before: remove it. A config naming a controller that is no
    # longer running makes every `scontrol` (which the slurm executor plugin calls whenever
    # Snakemake starts) wait ~10 s.
    rm -f "$CONF"
fi
if [[ ${SLURM_CI_PURGE:-0} == 1 ]]; then
    rm -rf "$STATE"
fi
exit 0
