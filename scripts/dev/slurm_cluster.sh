#!/usr/bin/env bash
# A real single-node SLURM cluster on localhost, for the tests of profiles/slurm and for trying
# the profile by hand. Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge; .ci/run
# does). It must run as root: slurmd starts every job as the user who submitted it.
#
#   scripts/dev/slurm_cluster.sh start  [DIR]   start munged, slurmctld and slurmd; wait for the node
#   scripts/dev/slurm_cluster.sh status [DIR]   the daemons and sinfo
#   scripts/dev/slurm_cluster.sh env    [DIR]   print `export SLURM_CONF=...` for this cluster
#   scripts/dev/slurm_cluster.sh stop   [DIR]   cancel every job, stop the three daemons
#
# DIR (default $UNDERCOUNT_SLURM_DIR, else /tmp/undercount-slurm) holds everything: slurm.conf,
# the munge key and socket, state, spool and the daemons' logs; munged runs on its own socket
# and key, so a system munge is left alone. SLURM commands find the cluster through SLURM_CONF
# (printed by `start` and `env`), except inside a job: the SLURM executor plugin's job step
# removes every SLURM_* variable but the job's identity before it calls srun, so srun reads the
# default /etc/slurm/slurm.conf. `start` makes that a symbolic link to DIR's slurm.conf and
# `stop` removes it; a slurm.conf already there (a real SLURM on this machine) stops `start`.
#
# What the cluster is: one node with this machine's CPUs and memory (from `slurmd -C`), one
# partition `debug` (the default), select/cons_tres scheduling cores and memory, and plugins that
# need no cgroups (proctrack/linuxproc, task/none), so it runs in a container. There is no
# accounting database (AccountingStorageType=accounting_storage/none): sacct cannot answer, so
# profiles/slurm asks squeue for job states, and MinJobAge keeps finished jobs visible to squeue
# for a day (the SLURM executor plugin uses squeue only when MinJobAge is at least three times
# its first status-check interval; the tests ask slurmctld about every job of a run). Memory is
# scheduled but not enforced (no cgroups).
#
# Ports: slurmctld 6817 and slurmd 6818 unless UNDERCOUNT_SLURMCTLD_PORT / UNDERCOUNT_SLURMD_PORT
# say otherwise; a port already taken stops `start` with a message naming it.
set -euo pipefail

usage() {
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

command="${1:-}"
[ -n "$command" ] || usage
dir="${2:-${UNDERCOUNT_SLURM_DIR:-/tmp/undercount-slurm}}"
ctld_port="${UNDERCOUNT_SLURMCTLD_PORT:-6817}"
slurmd_port="${UNDERCOUNT_SLURMD_PORT:-6818}"
timeout="${UNDERCOUNT_SLURM_TIMEOUT:-60}"
conf="$dir/etc/slurm.conf"
system_conf="${UNDERCOUNT_SYSTEM_SLURM_CONF:-/etc/slurm/slurm.conf}"
node="$(hostname -s)"

say() { echo "slurm_cluster: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# The pid recorded in a pid file, if that process is still alive.
alive_pid() {
    local file="$1" pid
    [ -s "$file" ] || return 1
    pid="$(cat "$file")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

show_logs() {
    local log
    for log in "$dir"/log/munged.log "$dir"/log/slurmctld.log "$dir"/log/slurmd.log; do
        [ -f "$log" ] || continue
        echo "---- last lines of $log" >&2
        tail -n 25 "$log" >&2
    done
}

port_taken() {
    # ss is in iproute2; without it, bash's /dev/tcp tells whether anything listens there
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

node_state() {
    SLURM_CONF="$conf" sinfo --noheader --nodes="$node" --Node --format='%t' 2>/dev/null | head -n 1
}

write_conf() {
    local hardware
    # slurmd -C prints this machine's node line; keep its hardware fields (CPUs to RealMemory)
    hardware="$(slurmd -C | head -n 1 | tr ' ' '\n' |
        grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ')"
    [ -n "$hardware" ] || die "slurmd -C printed no hardware description"
    cat >"$conf" <<EOF
# Written by scripts/dev/slurm_cluster.sh: a single-node test cluster on localhost.
ClusterName=undercount
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: processes are tracked through /proc, tasks are not bound
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
# no slurmdbd: squeue answers for finished jobs as long as slurmctld keeps them
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=86400
KillWait=5
InactiveLimit=0
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 ${hardware}State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

stop_daemon() {
    local name="$1" file="$2" pid i
    pid="$(alive_pid "$file")" || return 0
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    say "$name (pid $pid) did not stop in 10 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    local i
    if alive_pid "$dir/run/slurmctld.pid" >/dev/null; then
        # jobs first, so that no slurmstepd (and no job's processes) outlive the cluster
        SLURM_CONF="$conf" scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
        for i in $(seq 1 50); do
            [ -z "$(SLURM_CONF="$conf" squeue --noheader --states=RUNNING,COMPLETING,PENDING 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    stop_daemon slurmd "$dir/run/slurmd.pid"
    stop_daemon slurmctld "$dir/run/slurmctld.pid"
    stop_daemon munged "$dir/run/munged.pid"
    # the link to our slurm.conf, and only that
    if [ -L "$system_conf" ] && [ "$(readlink "$system_conf")" = "$conf" ]; then
        rm -f "$system_conf"
    fi
}

start() {
    local missing="" cmd i state
    for cmd in munged mungekey slurmctld slurmd sinfo squeue sbatch scancel scontrol; do
        command -v "$cmd" >/dev/null 2>&1 || missing="$missing $cmd"
    done
    [ -z "$missing" ] || die "missing:$missing (apt-get install -y slurm-wlm munge)"
    [ "$(id -u)" = 0 ] || die "must run as root (slurmd runs each job as its submitter); we are $(id -un)"
    if alive_pid "$dir/run/slurmctld.pid" >/dev/null; then
        die "a cluster is already running in $dir (scripts/dev/slurm_cluster.sh stop $dir first)"
    fi
    if [ -e "$system_conf" ] || [ -L "$system_conf" ]; then
        if [ ! -L "$system_conf" ] || [ "$(readlink "$system_conf")" != "$conf" ]; then
            die "$system_conf exists (a SLURM installed on this machine?): jobs' srun would read it, not this cluster's; leaving it alone"
        fi
    fi
    for port in "$ctld_port" "$slurmd_port"; do
        port_taken "$port" && die "port $port is taken (another SLURM?); set UNDERCOUNT_SLURMCTLD_PORT and UNDERCOUNT_SLURMD_PORT"
    done

    stop # leftovers of an earlier start in this directory, if any
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 0700 "$dir"
    mkdir -p "$dir"/{etc,munge,state,run,log} "$dir/spool/slurmd-$node"
    chmod 0700 "$dir/munge"
    write_conf
    mkdir -p "$(dirname "$system_conf")"
    ln -sfn "$conf" "$system_conf"

    mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null
    chmod 0400 "$dir/munge/munge.key"
    munged --force --socket="$dir/munge/munge.socket.2" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munged.seed" ||
        {
            show_logs
            die "munged did not start"
        }

    # both daemonise and write their pid files; -f names our slurm.conf
    SLURM_CONF="$conf" slurmctld -f "$conf" || {
        show_logs
        stop
        die "slurmctld did not start"
    }
    SLURM_CONF="$conf" slurmd -f "$conf" || {
        show_logs
        stop
        die "slurmd did not start"
    }

    for i in $(seq 1 "$((timeout * 2))"); do
        state="$(node_state || true)"
        case "$state" in
        idle) break ;;
        down* | drain* | fail*)
            # a node left down by a stale state is brought back once
            SLURM_CONF="$conf" scontrol update nodename="$node" state=resume 2>/dev/null || true
            ;;
        esac
        sleep 0.5
    done
    if [ "$state" != idle ]; then
        say "node $node is not idle after ${timeout} s (state: '${state:-no answer from slurmctld}')"
        show_logs
        stop
        exit 1
    fi
    say "node $node idle ($(SLURM_CONF="$conf" sinfo --noheader --Node --format='%c CPUs, %m MB')); logs in $dir/log"
    echo "export SLURM_CONF=$conf"
}

status() {
    local name ok=0
    for name in munged slurmctld slurmd; do
        if pid="$(alive_pid "$dir/run/$name.pid")"; then
            echo "$name: running (pid $pid)"
        else
            echo "$name: not running"
            ok=1
        fi
    done
    if [ "$ok" = 0 ]; then
        SLURM_CONF="$conf" sinfo
        SLURM_CONF="$conf" squeue
    fi
    return "$ok"
}

case "$command" in
start) start ;;
stop) stop ;;
status) status ;;
env) echo "export SLURM_CONF=$conf" ;;
*) usage ;;
esac
