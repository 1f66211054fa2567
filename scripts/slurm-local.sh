#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, to try `scb submit` without a cluster.
#
#   scripts/slurm-local.sh start    install (apt) if needed, configure, start munged,
#                                   slurmctld and slurmd; idempotent
#   scripts/slurm-local.sh status   which of the daemons it started are running
#   scripts/slurm-local.sh stop     stop only the daemons it started (by their pid files)
#
# Runs as root (the daemons need it). Everything it writes lives in $SCB_SLURM_DIR
# (default /var/lib/scb-slurm): the config, pid files, state and the daemons' logs. The
# config is linked from /etc/slurm/slurm.conf so that sbatch and squeue find it; an
# existing slurm.conf that this script did not write is never touched.
set -euo pipefail

DIR=${SCB_SLURM_DIR:-/var/lib/scb-slurm}
CONF=$DIR/slurm.conf
ETC=/etc/slurm/slurm.conf
MUNGE_PID=$DIR/munged.pid
CTLD_PID=$DIR/slurmctld.pid
SLURMD_PID=$DIR/slurmd.pid

die() { echo "slurm-local: $*" >&2; exit 1; }
say() { echo "slurm-local: $*"; }
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
        return
    fi
    command -v apt-get >/dev/null || die "slurm is not installed and apt-get is not available; install slurmctld, slurmd, slurm-client and munge"
    say "installing slurmctld, slurmd, slurm-client and munge (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

configure() {
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/munge"
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
    cat >"$CONF.new" <<CONF
# written by scb scripts/slurm-local.sh: a single-node cluster on $host
ClusterName=scb-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    mv "$CONF.new" "$CONF"
    mkdir -p /etc/slurm
    if [[ -e $ETC && ! -L $ETC ]] && ! grep -q "written by scb scripts/slurm-local.sh" "$ETC"; then
        die "$ETC exists and was not written by this script; leaving it alone (move it away to use the local cluster)"
    fi
    ln -sfn "$CONF" "$ETC"
    if [[ ! -s /etc/munge/munge.key ]]; then
        say "creating a munge key"
        mkdir -p /etc/munge
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
}

start() {
    [[ $(id -u) -eq 0 ]] || die "start needs root (the daemons run as root)"
    install
    configure
    if ! alive "$MUNGE_PID"; then
        if id munge >/dev/null 2>&1; then
            su -s /bin/sh munge -c "munged --pid-file=$MUNGE_PID.tmp --log-file=$DIR/log/munged.log" 2>/dev/null \
                || munged --force --pid-file="$MUNGE_PID.tmp" --log-file="$DIR/log/munged.log"
        else
            munged --force --pid-file="$MUNGE_PID.tmp" --log-file="$DIR/log/munged.log"
        fi
        for _ in $(seq 50); do [[ -s $MUNGE_PID.tmp ]] && break; sleep 0.1; done
        mv "$MUNGE_PID.tmp" "$MUNGE_PID"
    fi
    munge -n | unmunge >/dev/null || die "munge does not work; see $DIR/log/munged.log"
    alive "$CTLD_PID" || slurmctld -f "$CONF"
    alive "$SLURMD_PID" || slurmd -f "$CONF"
    for _ in $(seq 100); do
        if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            say "running: $(sinfo -h -o '%N %c CPUs %T')"
            say "logs in $DIR/log; stop with: $0 stop"
            return
        fi
        sleep 0.2
    done
    die "the node did not come up; see $DIR/log/slurmctld.log and $DIR/log/slurmd.log"
}

stop() {
    local f name
    for f in "$SLURMD_PID" "$CTLD_PID" "$MUNGE_PID"; do
        name=$(basename "$f" .pid)
        if alive "$f"; then
            kill "$(cat "$f")"
            for _ in $(seq 50); do alive "$f" || break; sleep 0.1; done
            say "stopped $name"
        fi
        rm -f "$f"
    done
}

status() {
    local f
    for f in "$MUNGE_PID" "$CTLD_PID" "$SLURMD_PID"; do
        if alive "$f"; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid): not running"; fi
    done
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
