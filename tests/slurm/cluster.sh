#!/usr/bin/env bash
# Start, stop or query a single-node SLURM cluster for tests on a Debian machine.
#
# Config, state, spool, log and pid files of munged, slurmctld and slurmd live
# under STATE_DIR. Outside it, `start` links /etc/slurm/slurm.conf to the config in
# STATE_DIR and the daemons listen on fixed TCP ports, so one cluster runs at a time.
# The cluster has no accounting (no slurmdbd), so `sacct` fails and job status must
# come from `squeue`. The node has one fake GPU backed by /dev/null.
set -euo pipefail

readonly PROGRAM=${0##*/}

# Non-login root shells on Debian may lack the sbin directories that hold the daemons.
PATH="$PATH:/usr/sbin:/sbin"

PARTITION=${CLUSTER_PARTITION:-local}
START_TIMEOUT=${CLUSTER_START_TIMEOUT:-60}
STOP_TIMEOUT=${CLUSTER_STOP_TIMEOUT:-30}
SLURMCTLD_PORT=${CLUSTER_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${CLUSTER_SLURMD_PORT:-6818}

# SLURM clients read this file when SLURM_CONF is unset (the compiled-in default
# of Debian's slurm-client 22.05).
readonly DEFAULT_SLURM_CONF=/etc/slurm/slurm.conf

usage() {
    cat >&2 <<EOF
usage: $PROGRAM {start|stop|status} STATE_DIR

  start   install slurm-wlm and munge if missing, start munged, slurmctld and slurmd
          with all their files under STATE_DIR, and wait until the node is idle.
          Links $DEFAULT_SLURM_CONF to STATE_DIR/etc/slurm.conf, prints
          'export SLURM_CONF=...' on stdout and writes it to STATE_DIR/env.sh.
  stop    cancel all jobs, stop the daemons whose pid files are in STATE_DIR,
          and remove the link $DEFAULT_SLURM_CONF if it points into STATE_DIR.
  status  print the daemons' pids and sinfo, or exit with status 1 when the
          cluster is down.

STATE_DIR must be an absolute path. Must run as root.
Environment (defaults in brackets):
  CLUSTER_PARTITION       partition name [local]
  CLUSTER_START_TIMEOUT   seconds to wait for the node to become idle [60]
  CLUSTER_STOP_TIMEOUT    seconds to wait for jobs and daemons to end [30]
  CLUSTER_SLURMCTLD_PORT  TCP port of slurmctld [6817]
  CLUSTER_SLURMD_PORT     TCP port of slurmd [6818]
EOF
    exit 2
}

log() {
    echo "$PROGRAM: $*" >&2
}

die() {
    echo "$PROGRAM: error: $*" >&2
    exit 1
}

set_paths() {
    STATE_DIR=$1
    CONF_DIR=$STATE_DIR/etc
    SLURM_CONF_FILE=$CONF_DIR/slurm.conf
    LOG_DIR=$STATE_DIR/log
    RUN_DIR=$STATE_DIR/run
    SPOOL_DIR=$STATE_DIR/spool
    MUNGE_DIR=$STATE_DIR/munge
    MUNGE_SOCKET=$MUNGE_DIR/munge.socket
    MUNGE_KEY=$MUNGE_DIR/munge.key
    ENV_FILE=$STATE_DIR/env.sh
    # Keyed by the daemon's command name, which running_pid compares with /proc.
    declare -gA PID_FILE=(
        [munged]=$MUNGE_DIR/munged.pid
        [slurmctld]=$RUN_DIR/slurmctld.pid
        [slurmd]=$RUN_DIR/slurmd.pid
    )
    # An argument that start passes to each daemon and that names this STATE_DIR.
    declare -gA DAEMON_ARGUMENT=(
        [munged]=--socket=$MUNGE_SOCKET
        [slurmctld]="-f $SLURM_CONF_FILE"
        [slurmd]="-f $SLURM_CONF_FILE"
    )
    declare -gA LOG_FILE=(
        [munged]=$LOG_DIR/munged.log
        [slurmctld]=$LOG_DIR/slurmctld.log
        [slurmd]=$LOG_DIR/slurmd.log
    )
}

validate_state_dir() {
    local dir=$1
    [[ $dir == /* ]] || die "STATE_DIR must be an absolute path, got '$dir'"
    # slurm.conf has no quoting, so a path with blanks would be split.
    [[ $dir != *[[:space:]]* ]] || die "STATE_DIR must not contain whitespace, got '$dir'"
    [[ $dir != / ]] || die "STATE_DIR must not be /"
}

validate_numbers() {
    local name value
    for name in START_TIMEOUT STOP_TIMEOUT SLURMCTLD_PORT SLURMD_PORT; do
        value=${!name}
        [[ $value =~ ^[1-9][0-9]*$ ]] || die "CLUSTER_$name must be a positive integer, got '$value'"
    done
}

require_root() {
    [[ $EUID -eq 0 ]] || die "must run as root (the daemons and apt-get need it)"
}

# Print the pid of daemon NAME from its pid file when that process is alive (not a
# zombie), has the command name NAME and has this STATE_DIR's socket or config
# argument on its command line. The last two checks reject a pid that the kernel
# has reused for another process, including a daemon of another STATE_DIR.
running_pid() {
    local name=$1 pid comm state cmdline
    # The daemon may delete its pid file at any moment while it exits.
    pid=$(tr -dc '0-9' 2>/dev/null <"${PID_FILE[$name]}") || return 1
    [[ -n $pid ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$name" ]] || return 1
    # Field 3 of /proc/PID/stat is the state. Field 2, the command name in
    # brackets, has no spaces here because it equals NAME.
    state=$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z ]] || return 1
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ $cmdline == *" ${DAEMON_ARGUMENT[$name]} "* ]] || return 1
    echo "$pid"
}

install_packages() {
    local missing=0 tool
    for tool in munged mungekey munge unmunge slurmctld slurmd sinfo sbatch squeue scontrol; do
        command -v "$tool" >/dev/null || missing=1
    done
    [[ $missing -eq 1 ]] || return 0

    command -v apt-get >/dev/null || die "slurm-wlm or munge is missing and apt-get is not available. Install them by hand"
    log "installing slurm-wlm and munge with apt-get"
    # Package lists on a fresh image are often empty or stale, so refresh them once.
    # The lock timeout lets a concurrent start with another STATE_DIR finish first.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 ||
        die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends slurm-wlm munge >&2 ||
        die "apt-get install slurm-wlm munge failed"
}

# Unix socket paths are limited to 107 bytes. slurmstepd binds one per job step in
# the slurmd spool directory, named NODE_JOBID.STEPID, and job and step ids can
# each have 10 digits, so check the longest such path now rather than fail in a job.
validate_socket_paths() {
    local host=$1 longest
    longest="$SPOOL_DIR/slurmd/${host}_4294967294.4294967294"
    ((${#longest} <= 107)) ||
        die "STATE_DIR '$STATE_DIR' is too long: the socket path '$longest' exceeds 107 bytes. Use a shorter STATE_DIR"
    ((${#MUNGE_SOCKET} <= 107)) ||
        die "STATE_DIR '$STATE_DIR' is too long for the munge socket path '$MUNGE_SOCKET'. Use a shorter STATE_DIR"
}

write_config() {
    local host=$1 node_line
    # The first line of `slurmd -C` is the node definition with the CPUs, sockets,
    # cores, threads and RealMemory that slurmd will report when it registers.
    node_line=$(slurmd -C | head -n 1)
    [[ $node_line == NodeName=* ]] || die "unexpected output from 'slurmd -C': '$node_line'"

    cat >"$SLURM_CONF_FILE" <<EOF
# Written by $PROGRAM for a single-node test cluster. Each start rewrites this
# file unless slurmctld or slurmd of this cluster is running.
ClusterName=testcluster
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$SLURMCTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root

AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET

StateSaveLocation=$SPOOL_DIR/slurmctld
SlurmdSpoolDir=$SPOOL_DIR/slurmd
SlurmctldPidFile=${PID_FILE[slurmctld]}
SlurmdPidFile=${PID_FILE[slurmd]}
SlurmctldLogFile=${LOG_FILE[slurmctld]}
SlurmdLogFile=${LOG_FILE[slurmd]}

# Without cgroups, track job processes through /proc and bind no tasks to CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MailProg=/bin/true

SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job that requests no memory would otherwise be given all of the node's memory.
DefMemPerCPU=1024
# squeue lists a finished job for MinJobAge seconds, and without accounting that
# is the only place where its final state can be read.
MinJobAge=300
# A node that was down comes back as soon as slurmd registers with a valid config.
ReturnToService=2

GresTypes=gpu
$node_line Gres=gpu:1 NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

    # slurmctld and slurmd read gres.conf from the directory that contains slurm.conf.
    cat >"$CONF_DIR/gres.conf" <<EOF
# A fake GPU: SLURM schedules it and sets CUDA_VISIBLE_DEVICES, but no device exists.
NodeName=$host Name=gpu File=/dev/null
EOF
}

# Link the clients' default config path to this cluster's slurm.conf. SLURM_CONF
# alone is not enough: snakemake-executor-plugin-slurm-jobstep 0.6.1 removes it,
# like most SLURM_* variables, from the environment of the srun that runs each rule
# inside its job, and that srun then reads the default path.
link_default_conf() {
    local target
    if [[ -L $DEFAULT_SLURM_CONF ]]; then
        target=$(readlink "$DEFAULT_SLURM_CONF")
        [[ $target != "$SLURM_CONF_FILE" ]] || return 0
        [[ ! -e $target ]] ||
            die "$DEFAULT_SLURM_CONF links to '$target', the config of another cluster. Stop that cluster or remove the link"
        log "replacing the dangling link $DEFAULT_SLURM_CONF -> $target"
        rm -f "$DEFAULT_SLURM_CONF"
    elif [[ -e $DEFAULT_SLURM_CONF ]]; then
        die "$DEFAULT_SLURM_CONF exists and is not a link. Move it away so that $PROGRAM can link it to '$SLURM_CONF_FILE'"
    fi
    mkdir -p "${DEFAULT_SLURM_CONF%/*}"
    ln -s "$SLURM_CONF_FILE" "$DEFAULT_SLURM_CONF"
}

unlink_default_conf() {
    if [[ -L $DEFAULT_SLURM_CONF && $(readlink "$DEFAULT_SLURM_CONF") == "$SLURM_CONF_FILE" ]]; then
        rm -f "$DEFAULT_SLURM_CONF"
    fi
}

print_log_tails() {
    local file
    for file in "$@"; do
        [[ -f $file ]] || continue
        echo "--- last 20 lines of $file ---" >&2
        tail -n 20 "$file" >&2
    done
}

start_munged() {
    local pid
    if pid=$(running_pid munged); then
        log "munged is already running (pid $pid)"
        return 0
    fi
    if [[ ! -s $MUNGE_KEY ]]; then
        mungekey --create --keyfile="$MUNGE_KEY" ||
            die "mungekey could not create '$MUNGE_KEY'"
    fi
    chmod 0600 "$MUNGE_KEY"

    # munged rejects a socket whose directories are not executable by all users,
    # and a caller's STATE_DIR may be mode 0700. --force turns that check into a
    # warning. Only root can then reach the socket, which is enough because this
    # cluster runs every daemon and job as root.
    log "starting munged"
    if ! munged --force \
        --socket="$MUNGE_SOCKET" \
        --key-file="$MUNGE_KEY" \
        --pid-file="${PID_FILE[munged]}" \
        --log-file="${LOG_FILE[munged]}" \
        --seed-file="$MUNGE_DIR/munged.seed" 9>&-; then
        print_log_tails "${LOG_FILE[munged]}"
        die "munged failed to start"
    fi

    local deadline=$((SECONDS + START_TIMEOUT))
    until munge --socket="$MUNGE_SOCKET" -n 2>/dev/null | unmunge --socket="$MUNGE_SOCKET" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            print_log_tails "${LOG_FILE[munged]}"
            die "munged did not respond on '$MUNGE_SOCKET' within $START_TIMEOUT s"
        fi
        sleep 0.2
    done
}

# Start DAEMON (slurmctld or slurmd) unless it is running. Both fork into the
# background and write the pid file named in slurm.conf.
start_slurm_daemon() {
    local daemon=$1 pid
    if pid=$(running_pid "$daemon"); then
        log "$daemon is already running (pid $pid)"
        return 0
    fi
    log "starting $daemon"
    if ! "$daemon" -f "$SLURM_CONF_FILE" 9>&-; then
        print_log_tails "${LOG_FILE[$daemon]}"
        die "$daemon failed to start. Its log is ${LOG_FILE[$daemon]}"
    fi
}

node_state() {
    local host=$1
    sinfo --noheader --nodes="$host" --format=%t 2>/dev/null | head -n 1
}

# Print the SlurmdStartTime that slurmd last registered with, in seconds since
# the epoch.
slurmd_registration_time() {
    local host=$1 node_info start_time
    node_info=$(scontrol --oneliner show node "$host" 2>/dev/null) || return 1
    start_time=$(grep -o 'SlurmdStartTime=[^ ]*' <<<"$node_info") || return 1
    date -d "${start_time#*=}" +%s 2>/dev/null
}

# Wait until the node accepts jobs. After a restart, slurmctld reports the node
# state saved in StateSaveLocation before slurmd has registered. So when this call
# started slurmd, REGISTERED_AFTER is set (in seconds since the epoch), and the
# node must also report a SlurmdStartTime no earlier than that.
wait_for_node() {
    local host=$1 registered_after=$2 state="" registered daemon
    local begun=$SECONDS
    while ((SECONDS - begun < START_TIMEOUT)); do
        state=$(node_state "$host") || state=""
        registered=$(slurmd_registration_time "$host") || registered=0
        # A second start may find jobs on the node, which then shows mix or alloc.
        case $state in
            idle | mix | alloc)
                if [[ -z $registered_after ]] || ((registered >= registered_after)); then
                    return 0
                fi
                ;;
        esac
        # A daemon that exits after forking (invalid config, port in use) stops
        # here instead of at the timeout. Its pid file may appear a moment after
        # the fork, so the check waits a few seconds.
        if ((SECONDS - begun >= 5)); then
            for daemon in slurmctld slurmd; do
                if ! running_pid "$daemon" >/dev/null; then
                    print_log_tails "${LOG_FILE[$daemon]}"
                    die "$daemon exited during start-up. Its log is ${LOG_FILE[$daemon]}"
                fi
            done
        fi
        sleep 0.5
    done
    print_log_tails "${LOG_FILE[slurmctld]}" "${LOG_FILE[slurmd]}"
    die "node '$host' was not ready within $START_TIMEOUT s (last state: '${state:-unknown}', slurmd registered at epoch ${registered:-0}, expected ${registered_after:-any}). Logs are in $LOG_DIR"
}

# Serialize start and stop calls on the same STATE_DIR through a lock on fd 9.
# The daemons are started with fd 9 closed, since they would otherwise hold the
# lock until they exit.
lock_state_dir() {
    # Long enough for another start (two waits of START_TIMEOUT) or stop (one wait
    # for jobs and three for daemons, each STOP_TIMEOUT) to finish or time out.
    local timeout=$((2 * START_TIMEOUT + 4 * STOP_TIMEOUT))
    exec 9>"$STATE_DIR/cluster.lock"
    flock --timeout "$timeout" 9 ||
        die "another $PROGRAM call held '$STATE_DIR/cluster.lock' for more than $timeout s"
}

cmd_start() {
    require_root
    local host
    host=$(hostname -s)
    validate_socket_paths "$host"
    install_packages

    mkdir -p "$STATE_DIR"
    lock_state_dir

    mkdir -p "$CONF_DIR" "$LOG_DIR" "$RUN_DIR" "$SPOOL_DIR/slurmctld" "$SPOOL_DIR/slurmd"
    mkdir -p "$MUNGE_DIR"
    chmod 0700 "$MUNGE_DIR"

    # Rewriting slurm.conf under a running daemon would leave it with a config that
    # differs from the file, so keep the file while either daemon runs.
    if ! running_pid slurmctld >/dev/null && ! running_pid slurmd >/dev/null; then
        write_config "$host"
    fi
    export SLURM_CONF=$SLURM_CONF_FILE
    link_default_conf

    local started=$SECONDS
    start_munged
    # slurmd retries its registration until slurmctld responds, so starting
    # slurmctld first only saves a retry.
    start_slurm_daemon slurmctld
    local registered_after=""
    if ! running_pid slurmd >/dev/null; then
        # slurmd starts after this point, and SlurmdStartTime is truncated to whole
        # seconds just like this value, so a new registration is never earlier.
        registered_after=$(date +%s)
    fi
    start_slurm_daemon slurmd
    wait_for_node "$host" "$registered_after"
    log "node $host is up in partition '$PARTITION' after $((SECONDS - started)) s. Logs are in $LOG_DIR"

    printf 'export SLURM_CONF=%q\n' "$SLURM_CONF_FILE" >"$ENV_FILE"
    cat "$ENV_FILE"
}

# Send SIGTERM to a daemon started by this script, wait for it to exit, and
# send SIGKILL if it outlives STOP_TIMEOUT.
stop_daemon() {
    local name=$1 pid
    if ! pid=$(running_pid "$name"); then
        rm -f "${PID_FILE[$name]}"
        return 0
    fi
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while running_pid "$name" >/dev/null; do
        if ((SECONDS >= deadline)); then
            log "$name (pid $pid) did not exit within $STOP_TIMEOUT s after SIGTERM, so sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.2
    done
    rm -f "${PID_FILE[$name]}"
}

# Cancel every job so that slurmd leaves no slurmstepd or job process behind.
cancel_jobs() {
    local output
    local -a job_ids
    if ! output=$(squeue --noheader --format=%i 2>&1); then
        log "squeue failed, so running jobs (if any) were not cancelled: $output"
        return 0
    fi
    [[ -n $output ]] || return 0
    mapfile -t job_ids <<<"$output"
    log "cancelling jobs: ${job_ids[*]}"
    scancel "${job_ids[@]}" || log "scancel failed for some of the jobs: ${job_ids[*]}"

    local deadline=$((SECONDS + STOP_TIMEOUT))
    while [[ -n $(squeue --noheader --format=%i 2>/dev/null) ]]; do
        if ((SECONDS >= deadline)); then
            log "jobs were still listed by squeue $STOP_TIMEOUT s after scancel, so stopping the daemons anyway"
            return 0
        fi
        sleep 0.5
    done
}

cmd_stop() {
    require_root
    if [[ ! -d $STATE_DIR ]]; then
        log "no state directory '$STATE_DIR', so nothing to stop"
        return 0
    fi
    lock_state_dir

    export SLURM_CONF=$SLURM_CONF_FILE
    if running_pid slurmctld >/dev/null && running_pid munged >/dev/null; then
        cancel_jobs
    fi
    # Stop in the reverse order of start. munged goes last because both SLURM
    # daemons authenticate through it while they shut down.
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
    unlink_default_conf
    log "cluster in $STATE_DIR is stopped"
}

cmd_status() {
    local name pid down=0
    for name in munged slurmctld slurmd; do
        if pid=$(running_pid "$name"); then
            echo "$name: running (pid $pid)"
        else
            echo "$name: not running"
            down=1
        fi
    done
    if [[ $down -eq 1 ]]; then
        echo "cluster in $STATE_DIR is down"
        return 1
    fi
    SLURM_CONF=$SLURM_CONF_FILE sinfo || {
        echo "cluster in $STATE_DIR is down: sinfo failed"
        return 1
    }
}

main() {
    [[ $# -eq 2 ]] || usage
    local command=$1
    local state_dir=$2
    # Strip trailing slashes so that paths in slurm.conf and the /proc checks match.
    while [[ $state_dir == */ && $state_dir != / ]]; do
        state_dir=${state_dir%/}
    done
    validate_state_dir "$state_dir"
    validate_numbers
    set_paths "$state_dir"
    case $command in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        *) usage ;;
    esac
}

main "$@"
