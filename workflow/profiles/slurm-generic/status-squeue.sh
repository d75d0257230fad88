#!/usr/bin/env bash
# Job status for Snakemake's cluster-generic executor on SLURM clusters without accounting:
# prints exactly one of running | success | failed for the SLURM job id given as $1.
# Asks squeue first (finished jobs stay visible for MinJobAge seconds, see
# `scontrol show config | grep MinJobAge`), then sacct where accounting works.
# Transient errors (slurmctld busy) are retried; a job no tool knows any more is reported
# failed, so Snakemake retries it or stops with a clear error instead of waiting forever.
set -uo pipefail
jobid=${1:?usage: status-squeue.sh JOBID}

classify() {  # SLURM state -> running | success | failed
    case $1 in
        COMPLETED) echo success ;;
        PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | REQUEUE_FED | \
            REQUEUE_HOLD | RESIZING | SIGNALING | STAGE_OUT | STOPPED | RESV_DEL_HOLD) echo running ;;
        *) echo failed ;;  # FAILED CANCELLED TIMEOUT OUT_OF_MEMORY NODE_FAIL BOOT_FAIL DEADLINE PREEMPTED ...
    esac
}

for attempt in 1 2 3 4 5; do
    if out=$(squeue --noheader --states=all --jobs="$jobid" --format=%T 2>&1); then
        state=$(printf '%s\n' "$out" | head -n 1 | tr -d ' ')
        if [[ -n $state ]]; then
            classify "$state"
            exit 0
        fi
        break  # squeue answered but no longer knows the job
    elif grep -qi 'invalid job id' <<<"$out"; then
        break  # purged from slurmctld's memory (older than MinJobAge)
    fi
    sleep $((attempt * 2))  # slurmctld not answering: try again
done

# accounting, where the cluster has it
if state=$(sacct --noheader --parsable2 --allocations --jobs="$jobid" --format=State 2>/dev/null \
    | head -n 1 | awk '{print $1}') && [[ -n $state ]]; then
    classify "$state"
    exit 0
fi

echo "status-squeue.sh: SLURM job $jobid unknown to squeue and sacct; reporting it failed" >&2
echo failed
