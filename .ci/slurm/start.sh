#!/usr/bin/env bash
# A single-node SLURM cluster with accounting, for `make test-cluster`:
#   .ci/slurm/start.sh STATE_DIR
# installs Debian's slurm-wlm, slurmdbd, munge and mariadb-server when missing, then starts
# munged, mariadbd, slurmdbd, slurmctld and slurmd with every config, socket, spool and log
# under STATE_DIR and ports that are free now. It writes STATE_DIR/env.sh (SLURM_CONF for the
# client commands) and STATE_DIR/pids (one "name pid" a line); .ci/slurm/stop.sh STATE_DIR ends
# exactly those processes. Nothing under /etc or /run is used, so it cannot clash with a system
# SLURM or MariaDB, and a failed start leaves only STATE_DIR behind.
set -euo pipefail

STATE=${1:?usage: start.sh STATE_DIR}
ACCOUNT=${SLURM_TEST_ACCOUNT:-icnn}
CLUSTER=icnntest

log() { echo "[slurm start $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- packages ------------------------------------------------------------------------------
apt_retry() {
    local attempt
    for attempt in 1 2 3 4 5; do
        if DEBIAN_FRONTEND=noninteractive apt-get "$@"; then return 0; fi
        log "apt-get $1 failed (attempt $attempt), retrying in $((attempt * 10)) s"
        sleep $((attempt * 10))
    done
    return 1
}

need=()
for tool in /usr/sbin/slurmctld:slurm-wlm /usr/sbin/slurmd:slurm-wlm /usr/sbin/slurmdbd:slurmdbd \
            /usr/sbin/munged:munge /usr/sbin/mariadbd:mariadb-server /usr/bin/sacct:slurm-client; do
    [[ -x ${tool%%:*} ]] || need+=("${tool##*:}")
done
if ((${#need[@]})); then
    [[ $(id -u) == 0 ]] || die "missing ${need[*]}: install them (apt-get install slurm-wlm slurmdbd munge mariadb-server) or run as root"
    log "installing ${need[*]}"
    # A policy-rc.d (where none is there) keeps the packages from starting their own services,
    # which would use /etc and the standard ports.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt_retry update -q || die "apt-get update failed: no package access"
    apt_retry install -y -q --no-install-recommends slurm-wlm slurmdbd munge mariadb-server \
        || die "apt-get install of slurm-wlm slurmdbd munge mariadb-server failed"
fi

# --- layout --------------------------------------------------------------------------------
[[ -e $STATE/pids ]] && die "$STATE/pids exists: stop that cluster first (.ci/slurm/stop.sh $STATE)"
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
# munged refuses world-writable parents of its socket and key; 0700 dirs of our own.
install -d -m 0755 "$STATE/munge"
install -d -m 0700 "$STATE/mysql" "$STATE/ctld" "$STATE/slurmd" "$STATE/log"
: > "$STATE/pids"

# Free TCP ports for mariadbd, slurmdbd, slurmctld and slurmd, chosen now (a fixed port may be
# taken by a system daemon or by another cluster test on the same machine).
read -r P_DB P_DBD P_CTLD P_D < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)
[[ -n ${P_D:-} ]] || die "could not find free ports (python3 needed)"

started() {  # name pid: remember a daemon we started, for stop.sh
    echo "$1 $2" >> "$STATE/pids"
}

wait_for() {  # description seconds pid command...: poll until the command succeeds
    local what=$1 limit=$2 pid=$3 t
    shift 3
    for ((t = 0; t < limit * 2; t++)); do
        if "$@" > /dev/null 2>&1; then return 0; fi
        kill -0 "$pid" 2> /dev/null || die "$what exited; logs in $STATE/log"
        sleep 0.5
    done
    die "$what not up after $limit s; logs in $STATE/log"
}

# --- munge -----------------------------------------------------------------------------------
MUNGE_SOCKET=$STATE/munge/munge.socket
dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$STATE/munge/munge.key"
/usr/sbin/munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$STATE/munge/munge.key" \
    --pid-file="$STATE/munge/munged.pid" --seed-file="$STATE/munge/munged.seed" \
    --log-file="$STATE/log/munged.log" > "$STATE/log/munged.out" 2>&1 &
started munged $!
wait_for munged 20 $! bash -c "munge -S '$MUNGE_SOCKET' -n | unmunge -S '$MUNGE_SOCKET'"

# --- mariadb (the accounting database) ---------------------------------------------------
DB_SOCKET=$STATE/mysql/mysqld.sock
DB_PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$STATE/mysql/data" \
    --auth-root-authentication-method=socket > "$STATE/log/mariadb-install.log" 2>&1 \
    || die "mariadb-install-db failed: $STATE/log/mariadb-install.log"
/usr/sbin/mariadbd --no-defaults --user="$(id -un)" --datadir="$STATE/mysql/data" \
    --socket="$DB_SOCKET" --bind-address=127.0.0.1 --port="$P_DB" --pid-file="$STATE/mysql/mariadbd.pid" \
    --log-error="$STATE/log/mariadbd.log" --skip-log-bin --innodb-buffer-pool-size=64M \
    --innodb-lock-wait-timeout=900 > "$STATE/log/mariadbd.out" 2>&1 &
started mariadbd $!
wait_for mariadbd 60 $! mariadb --no-defaults -S "$DB_SOCKET" -u root -e "SELECT 1"
mariadb --no-defaults -S "$DB_SOCKET" -u root <<EOF
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF

# --- configs ---------------------------------------------------------------------------------
ME=$(id -un)
NODE=$(hostname -s)
# The node claims 8 CPUs and 64 GB whatever the machine has (config_overrides): the test's jobs
# spend most of their time starting Python, so they overlap well on 2 cores, and the rules'
# requests (2 CPUs, 8 GB) would otherwise let only one or two run at a time.
CPUS=8
MEM_MB=64000
cat > "$STATE/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$P_DBD
SlurmUser=$ME
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$P_DB
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
chmod 0600 "$STATE/slurmdbd.conf"

# MinJobAge 600: finished jobs stay visible to squeue too (the plugin's fallback status query).
cat > "$STATE/slurm.conf" <<EOF
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$P_CTLD
SlurmdPort=$P_D
SlurmUser=$ME
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$P_DBD
# the MUNGE socket for messages to slurmdbd (AuthInfo covers the others)
AccountingStoragePass=$MUNGE_SOCKET
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
SlurmdParameters=config_overrides
SchedulerParameters=sched_interval=2
MessageTimeout=30
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MpiDefault=none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
# slurmd and the job steps read these two next to slurm.conf; they must exist, empty is fine.
: > "$STATE/cgroup.conf"
: > "$STATE/plugstack.conf"
export SLURM_CONF=$STATE/slurm.conf

# --- daemons ---------------------------------------------------------------------------------
# slurmdbd reads slurmdbd.conf from the folder of $SLURM_CONF.
/usr/sbin/slurmdbd -D > "$STATE/log/slurmdbd.out" 2>&1 &
started slurmdbd $!
wait_for slurmdbd 60 $! sacctmgr -n list cluster
# The cluster, an account and the user's association, before slurmctld registers.
sacctmgr -i add cluster "$CLUSTER" > /dev/null
sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="icnn cluster test" Organization=icnn > /dev/null
sacctmgr -i add user "$ME" Account="$ACCOUNT" DefaultAccount="$ACCOUNT" Cluster="$CLUSTER" > /dev/null

/usr/sbin/slurmctld -D -i -f "$SLURM_CONF" > "$STATE/log/slurmctld.out" 2>&1 &
started slurmctld $!
wait_for slurmctld 60 $! scontrol ping
/usr/sbin/slurmd -D -f "$SLURM_CONF" > "$STATE/log/slurmd.out" 2>&1 &
started slurmd $!
wait_for "node $NODE" 60 $! bash -c "sinfo -h -N -o '%T' | grep -Eq '^(idle|mixed|allocated)'"

cat > "$STATE/env.sh" <<EOF
export SLURM_CONF=$SLURM_CONF
EOF
# A job end to end: allocation, step, and its record in the accounting database.
job=$(sbatch --parsable -A "$ACCOUNT" -o /dev/null --wrap true)
wait_for "accounting of test job $job" 60 "$(awk '$1 == "slurmdbd" {print $2}' "$STATE/pids")" bash -c "sacct -n -X -j $job -o State | grep -q COMPLETED"
log "up: $(sinfo -h -o '%P %D %c cpus %m MB %T'); account $ACCOUNT; state in $STATE"
