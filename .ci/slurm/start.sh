#!/usr/bin/env bash
# Start a one-node SLURM cluster on localhost without systemd: munged, slurmctld, slurmd.
# State, spool, logs and pid files live in $SLURM_CI_STATE (default /tmp/scaling-dmft-slurm).
# Writes /etc/slurm/slurm.conf (an existing foreign one is kept aside and restored by stop.sh).
# Waits until `sinfo` shows the node up (idle, or already running jobs). Stop with
# .ci/slurm/stop.sh, which stops only the daemons this script started (by their pid files).
# Refuses to start when a slurmctld already answers but is not ours (no pid file of ours).
#
# Nothing here assumes an idle machine (issue 25: on a loaded machine the old 60 s wait for an
# *idle* node failed the session fixture, so both SLURM tests errored): the node counts as up when it
# answers, busy or not; the waits are bounded by the daemons staying alive and a generous limit
# (SLURM_CI_START_TIMEOUT, default 600 s), not by how fast a loaded machine starts them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${SLURM_CI_STATE:-/tmp/scaling-dmft-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# scaling-dmft CI: one-node SLURM cluster"
WAIT=${SLURM_CI_START_TIMEOUT:-600}

die() { echo "start.sh: $*" >&2; exit 1; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
# a daemon that wrote its pid file and is gone (a daemon still starting has no pid file yet)
exited() { [[ -s $1 ]] && ! kill -0 "$(cat "$1")" 2>/dev/null; }
# the node's state (empty when the controller does not answer within 30 s)
node_state() { timeout 30 sinfo -h -n localhost -o %T 2>/dev/null || true; }
# up: it answers and takes jobs; a node busy with jobs (another session's, or leftovers) is up too
node_up() { [[ $(node_state) =~ ^(idle|mixed|allocated|completing)$ ]]; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
for bin in munged slurmctld slurmd sinfo; do
    command -v "$bin" >/dev/null || die "$bin not found: run .ci/slurm/install.sh first"
done

# already running and ours? then nothing to do (idempotent)
if alive "$STATE/slurmctld.pid" && alive "$STATE/slurmd.pid" && node_up; then
    echo "start.sh: our cluster is already up ($STATE)"
    exit 0
fi

# a slurmctld answering without our pid file belongs to someone else: a second one would die on
# "Address already in use" while the old one keeps answering sinfo, hiding the failure
if ! alive "$STATE/slurmctld.pid" && timeout 5 scontrol ping 2>/dev/null | grep -q UP; then
    die "a slurmctld is already answering and $STATE/slurmctld.pid is not ours; refusing to start"
fi

mkdir -p "$STATE"/{ctld,spool,log}
chmod 755 "$STATE"

# --- munge: reuse a working munged, otherwise start our own -------------------------------
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    echo "start.sh: using the munged already running"
else
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 "$STATE/munge"
    su -s /bin/sh munge -c "munged --pid-file=$STATE/munge/munged.pid --log-file=$STATE/munge/munged.log --force" \
        || die "munged failed to start (see $STATE/munge/munged.log)"
    cp "$STATE/munge/munged.pid" "$STATE/munged.pid"   # stop.sh stops only what has a pid file here
    deadline=$((SECONDS + WAIT))
    until munge -n 2>/dev/null | unmunge >/dev/null 2>&1; do
        ! exited "$STATE/munge/munged.pid" || die "munged exited (see $STATE/munge/munged.log)"
        ((SECONDS <= deadline)) || die "munge does not work after ${WAIT}s"
        sleep 0.2
    done
fi

# --- slurm.conf --------------------------------------------------------------------------
# the machine's CPUs: nproc alone honours OMP_NUM_THREADS, which the test workers set to 1
cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
mem_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
mkdir -p /etc/slurm
if [[ -e $CONF ]] && ! grep -qF "$MARK" "$CONF"; then
    [[ -e $CONF.scaling-dmft-orig ]] || mv "$CONF" "$CONF.scaling-dmft-orig"
fi
sed -e "s|@STATE@|$STATE|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM@|$mem_mb|g" \
    -e "s|@CTLD_PORT@|${SLURM_CI_CTLD_PORT:-6817}|g" -e "s|@SLURMD_PORT@|${SLURM_CI_SLURMD_PORT:-6818}|g" \
    "$HERE/slurm.conf.in" >"$CONF"

# --- daemons -------------------------------------------------------------------------------
if ! alive "$STATE/slurmctld.pid"; then
    rm -f "$STATE/slurmctld.pid"
    slurmctld -c || die "slurmctld failed (see $STATE/log/slurmctld.log)"
fi
if ! alive "$STATE/slurmd.pid"; then
    rm -f "$STATE/slurmd.pid"
    slurmd -N localhost || die "slurmd failed (see $STATE/log/slurmd.log)"
fi

# --- wait until the node is up: as long as both daemons live, up to WAIT seconds -------------------
deadline=$((SECONDS + WAIT))
until node_up; do
    for daemon in slurmctld slurmd; do
        if exited "$STATE/$daemon.pid"; then
            tail -n 20 "$STATE/log/$daemon.log" >&2 || true
            die "$daemon exited while the node came up (see $STATE/log/$daemon.log)"
        fi
    done
    if ((SECONDS > deadline)); then
        timeout 30 sinfo || true
        tail -n 20 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" >&2 || true
        die "node not up after ${WAIT}s (state: $(node_state))"
    fi
    # a node left DOWN/DRAIN by an earlier run: give it back
    if node_state | grep -qE 'down|drain'; then
        timeout 30 scontrol update NodeName=localhost State=RESUME 2>/dev/null || true
    fi
    sleep 0.5
done
echo "start.sh: SLURM up after ${SECONDS}s: $(timeout 30 sinfo -h -o '%P %D %T %c CPUs %m MB') (state in $STATE)"
