#!/usr/bin/env bash
# Install SLURM (22.05 on Debian 12) and munge from Debian packages, for the one-node test cluster.
# Idempotent: does nothing when every binary is already there. Needs root and apt-get.
# The image's policy-rc.d keeps package scripts from starting services; .ci/slurm/start.sh starts them.
set -euo pipefail

need=(slurmctld slurmd sbatch squeue scancel sinfo scontrol munged munge unmunge)
missing=0
for bin in "${need[@]}"; do
    command -v "$bin" >/dev/null 2>&1 || missing=1
done
if [[ $missing -eq 0 && -s /etc/munge/munge.key ]]; then
    echo "install.sh: SLURM and munge already installed, skipping"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "install.sh: must run as root (apt-get install)" >&2
    exit 77
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install.sh: apt-get not found; install slurmctld, slurmd, slurm-client and munge yourself" >&2
    exit 77
fi
export DEBIAN_FRONTEND=noninteractive
# update the package lists only when they are missing (fresh containers ship without them)
if ! apt-cache show slurmctld >/dev/null 2>&1; then
    apt-get update -q
fi
apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge
if [[ ! -s /etc/munge/munge.key ]]; then
    # the munge package normally creates the key; make one if it did not
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile /etc/munge/munge.key
    else
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
echo "install.sh: installed $(slurmctld -V)"
