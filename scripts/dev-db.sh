#!/usr/bin/env bash
# dev-db.sh — private PostgreSQL + pgvector cluster for local development and CI.
#
# Run `scripts/dev-db.sh help` for usage. Every human-readable message goes to
# stderr; only `env` (and the tail of `start`) write to stdout, so
#     eval "$(scripts/dev-db.sh start)"
# leaves CODEBASE_MCP_DATABASE_URL, WORKFLOW_MCP_DATABASE_URL, TEST_DATABASE_URL
# and PG_BINDIR set in the calling shell.
set -euo pipefail

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")"
REPO_ROOT="$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd -P)"

DEV_DB_PORT="${DEV_DB_PORT:-54329}"
DEV_DB_DIR="${DEV_DB_DIR:-$REPO_ROOT/.data/postgres}"
case "$DEV_DB_DIR" in
  /*) ;;
  *) DEV_DB_DIR="$PWD/$DEV_DB_DIR" ;;
esac
DEV_DB_FAST="${DEV_DB_FAST:-0}"
DATABASES=(codebase_mcp workflow_mcp)

PGVECTOR_SRC_LIST=/etc/apt/sources.list.d/pgvector-src-trixie.list
# Short hash of the cluster location (by default <repo>/.data/postgres, so one
# per checkout): names the /var/tmp fallback directory and the lock file.
DIR_HASH="$(printf '%s' "$DEV_DB_DIR" | sha256sum | cut -c1-10)"
FALLBACK_DIR="/var/tmp/mcp-dev-db-$DIR_HASH"

log() { printf 'dev-db: %s\n' "$*" >&2; }
die() {
  printf 'dev-db: ERROR: %s\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

usage() {
  cat >&2 <<EOF
Usage: scripts/dev-db.sh <command> [args]

Private PostgreSQL + pgvector cluster for codebase-mcp / workflow-mcp development.

Commands:
  install     Install PostgreSQL server and pgvector if missing (apt; pgvector is
              built from Debian's source package when no binary package exists).
  start       install, then create (first time) and start the private cluster,
              create databases ${DATABASES[*]}, and print the env (see 'env').
  stop        Stop the cluster (fast shutdown). No error if not running.
  status      Show running/stopped, port, data dir, server and pgvector versions.
              Exit code 0 if running, 3 if stopped.
  env         Print shell 'export' lines for the database URLs and PG_BINDIR.
  psql [args] Open psql on the cluster (as user postgres, database postgres).
  help        Show this text.

Environment:
  DEV_DB_PORT  TCP port on 127.0.0.1 (default 54329).
  DEV_DB_DIR   Cluster directory (default <repo>/.data/postgres), containing
               data/ (PGDATA), run/ (unix socket) and server.log.
  DEV_DB_FAST  1 = fsync=off, synchronous_commit=off, full_page_writes=off
               (unsafe on crash; fine for throwaway test data). Applied at start.

Typical use:
  eval "\$(scripts/dev-db.sh start)"
EOF
}

# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------

# Highest PostgreSQL major version with a server binary, or empty.
pg_version() {
  local d v best=""
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [ -x "$d" ] || continue
    v="${d#/usr/lib/postgresql/}"
    v="${v%%/*}"
    case "$v" in *[!0-9]*) continue ;; esac
    if [ -z "$best" ] || [ "$v" -gt "$best" ]; then best="$v"; fi
  done
  printf '%s' "$best"
}

require_server() {
  PG_VER="$(pg_version)"
  [ -n "$PG_VER" ] || die "no PostgreSQL server found under /usr/lib/postgresql/*/bin/postgres. Run: bash $SCRIPT_PATH install"
  PG_BINDIR="/usr/lib/postgresql/$PG_VER/bin"
}

vector_control() { printf '%s' "/usr/share/postgresql/$1/extension/vector.control"; }

pgvector_version() {
  local f
  f="$(vector_control "$1")"
  [ -f "$f" ] || return 0
  sed -n "s/^[[:space:]]*default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" "$f" | head -n1
}

# ---------------------------------------------------------------------------
# Privileged execution (root, or non-interactive sudo)
# ---------------------------------------------------------------------------

SUDO=()
PRIV_CHECKED=0
priv_available() {
  if [ "$PRIV_CHECKED" -eq 0 ]; then
    PRIV_CHECKED=1
    if is_root; then
      SUDO=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      SUDO=(sudo -n)
    else
      SUDO=(none)
    fi
  fi
  [ "${SUDO[0]:-}" != none ]
}

as_root() { "${SUDO[@]}" "$@"; }

# Seconds to wait for a dpkg/apt lock held by another process. On a freshly
# booted cloud VM, apt-daily / unattended-upgrades often hold it for minutes.
APT_LOCK_WAIT=600

# apt-get as root, never prompting: waits for the dpkg lock (install/remove)
# and keeps locally changed conffiles instead of asking about them.
apt_get() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -q \
    -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# apt-get update, retried while another process holds the apt lists lock
# (apt 2.6's DPkg::Lock::Timeout covers the dpkg lock, not this one).
# Returns apt-get's status; apt's own output goes to stderr.
apt_update() {
  local out rc waited=0
  while :; do
    rc=0
    out="$(apt_get update 2>&1)" || rc=$?
    printf '%s\n' "$out" >&2
    [ "$rc" -ne 0 ] || return 0
    case "$out" in
      *"Could not get lock"* | *"Unable to lock"*) ;;
      *) return "$rc" ;;
    esac
    if [ "$waited" -ge "$APT_LOCK_WAIT" ]; then
      log "apt is still locked by another process after ${waited}s; giving up"
      return "$rc"
    fi
    log "apt is busy (another apt-get/dpkg, e.g. unattended-upgrades, holds its lock): retrying in 10s (waited ${waited}s of ${APT_LOCK_WAIT}s) ..."
    sleep 10
    waited=$((waited + 10))
  done
}

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update ..."
    apt_update ||
      die "apt-get update failed. Check network access to the Debian mirror and /etc/apt/sources.list*, then re-run."
    APT_UPDATED=1
  fi
}

apt_install() {
  log "apt-get install -y $*"
  apt_get install -y --no-install-recommends "$@" >&2 ||
    die "apt-get install $* failed (see apt output above). Fix apt, then re-run: bash $SCRIPT_PATH install"
}

# Not root and no passwordless sudo: tell the user exactly what to run.
need_root_or_explain() {
  priv_available && return 0
  printf 'dev-db: ERROR: %s is missing and installing it needs root (no passwordless sudo here).\n' "$1" >&2
  printf 'dev-db: Run this once, then re-run your command:\n' >&2
  printf '    sudo bash %q install\n' "$SCRIPT_PATH" >&2
  if [ "$1" = "PostgreSQL server" ]; then
    printf 'dev-db: (or by hand: sudo apt-get update && sudo apt-get install -y postgresql postgresql-contrib)\n' >&2
  fi
  exit 1
}

# ---------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------

BUILD_TMP=""
cleanup_build() {
  if [ -n "$BUILD_TMP" ] && [ -d "$BUILD_TMP" ]; then
    as_root rm -rf "$BUILD_TMP" || true
  fi
  if [ -e "$PGVECTOR_SRC_LIST" ]; then
    as_root rm -f "$PGVECTOR_SRC_LIST" || true
  fi
  BUILD_TMP=""
}

install_pgvector_from_source() {
  local ver="$1" pgc="/usr/lib/postgresql/$1/bin/pg_config" start=$SECONDS dsc
  log "no binary pgvector package for PostgreSQL $ver: building Debian's pgvector source package (trixie) ..."

  trap cleanup_build EXIT
  printf 'deb-src http://deb.debian.org/debian trixie main\n' |
    as_root tee "$PGVECTOR_SRC_LIST" >/dev/null
  log "added $PGVECTOR_SRC_LIST (deb-src only; removed again after the build)"
  log "apt-get update (with trixie deb-src) ..."
  apt_update ||
    die "apt-get update with $PGVECTOR_SRC_LIST failed. Check access to deb.debian.org, then re-run: bash $SCRIPT_PATH install"

  apt_install build-essential dpkg-dev "postgresql-server-dev-$ver"
  [ -x "$pgc" ] || die "$pgc not found after installing postgresql-server-dev-$ver"

  BUILD_TMP="$(mktemp -d /tmp/pgvector-build.XXXXXX)"
  chmod 0755 "$BUILD_TMP"
  # apt-get source as root prints a harmless "unsandboxed as root" notice.
  if ! (cd "$BUILD_TMP" && as_root apt-get source -q pgvector >&2); then
    log "apt-get source could not unpack; retrying with download only + dpkg-source -x --no-check"
    (cd "$BUILD_TMP" && as_root apt-get source -q --download-only pgvector >&2) ||
      die "could not download the pgvector source package from trixie. Check network access to deb.debian.org."
    dsc="$(find "$BUILD_TMP" -maxdepth 1 -name 'pgvector_*.dsc' | head -n1)"
    [ -n "$dsc" ] || die "no pgvector .dsc downloaded into $BUILD_TMP"
    (cd "$BUILD_TMP" && as_root dpkg-source -x --no-check "$dsc" >&2) ||
      die "dpkg-source -x --no-check $dsc failed"
  fi
  local srcdir
  srcdir="$(find "$BUILD_TMP" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)"
  [ -n "$srcdir" ] || die "pgvector source directory not found in $BUILD_TMP"
  log "building $(basename "$srcdir") against $pgc ..."
  # OPTFLAGS="" as in Debian's packaging: no -march=native, so the library
  # also works if the disk image moves to another CPU.
  (cd "$srcdir" && as_root make -j"$(nproc)" PG_CONFIG="$pgc" OPTFLAGS="" >&2) ||
    die "pgvector build failed (see compiler output above)"
  (cd "$srcdir" && as_root make PG_CONFIG="$pgc" OPTFLAGS="" install >&2) ||
    die "pgvector 'make install' failed (see output above)"
  cleanup_build
  trap - EXIT
  log "pgvector $(pgvector_version "$ver") built and installed in $((SECONDS - start))s"
}

cmd_install() {
  local ver cand
  ver="$(pg_version)"
  if [ -z "$ver" ]; then
    need_root_or_explain "PostgreSQL server"
    log "PostgreSQL server not found: installing postgresql + postgresql-contrib"
    apt_update_once
    apt_install postgresql postgresql-contrib
    ver="$(pg_version)"
    [ -n "$ver" ] || die "postgresql installed but no /usr/lib/postgresql/*/bin/postgres found"
    log "installed PostgreSQL $ver (Debian's default cluster, if any, is not used by this script)"
  fi

  if [ -f "$(vector_control "$ver")" ]; then
    log "PostgreSQL $ver and pgvector $(pgvector_version "$ver") present: nothing to install"
    return 0
  fi

  need_root_or_explain "pgvector for PostgreSQL $ver"
  apt_update_once
  cand="$(apt-cache policy "postgresql-$ver-pgvector" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')"
  if [ -n "$cand" ] && [ "$cand" != "(none)" ]; then
    log "installing binary package postgresql-$ver-pgvector ($cand)"
    apt_install "postgresql-$ver-pgvector"
  else
    install_pgvector_from_source "$ver"
  fi
  [ -f "$(vector_control "$ver")" ] ||
    die "pgvector installation finished but $(vector_control "$ver") is still missing"
}

# ---------------------------------------------------------------------------
# Cluster helpers
# ---------------------------------------------------------------------------

# Run a command as the cluster owner: postgres when we are root, else ourselves.
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_can_traverse() { # dir: can the postgres user reach it (x on it and every parent)?
  as_pg test -x "$1" 2>/dev/null
}

# Sets CLUSTER_DIR (real path), PGDATA_DIR, RUN_DIR, LOG_FILE.
set_cluster_paths() {
  if [ -e "$DEV_DB_DIR" ] || [ -L "$DEV_DB_DIR" ]; then
    CLUSTER_DIR="$(readlink -f "$DEV_DB_DIR")"
  else
    CLUSTER_DIR="$DEV_DB_DIR"
  fi
  PGDATA_DIR="$CLUSTER_DIR/data"
  RUN_DIR="$CLUSTER_DIR/run"
  LOG_FILE="$CLUSTER_DIR/server.log"
}

use_fallback_dir() {
  local why="$1"
  if [ -d "$DEV_DB_DIR" ] && [ ! -L "$DEV_DB_DIR" ]; then
    rmdir "$DEV_DB_DIR" 2>/dev/null ||
      die "$DEV_DB_DIR is not usable ($why) and is not empty. Move it away or set DEV_DB_DIR to another directory."
  fi
  mkdir -p "$FALLBACK_DIR"
  if is_root; then chown postgres:postgres "$FALLBACK_DIR"; fi
  chmod 0700 "$FALLBACK_DIR"
  mkdir -p "$(dirname "$DEV_DB_DIR")"
  ln -sfn "$FALLBACK_DIR" "$DEV_DB_DIR"
  log "$why: the cluster lives in $FALLBACK_DIR; $DEV_DB_DIR is a symlink to it"
}

# Create DEV_DB_DIR (or the /var/tmp fallback) with the right owner.
prepare_cluster_dir() {
  if [ -L "$DEV_DB_DIR" ] && [ ! -e "$DEV_DB_DIR" ]; then
    # Dangling symlink (e.g. /var/tmp was cleaned): recreate its target.
    local target
    target="$(readlink "$DEV_DB_DIR")"
    log "recreating $target (target of $DEV_DB_DIR)"
    mkdir -p "$target"
    if is_root; then chown postgres:postgres "$target"; fi
    chmod 0700 "$target"
  fi
  if [ ! -e "$DEV_DB_DIR" ]; then
    (umask 022 && mkdir -p "$DEV_DB_DIR") ||
      die "cannot create $DEV_DB_DIR. Set DEV_DB_DIR to a writable directory."
    if is_root; then chown postgres:postgres "$DEV_DB_DIR"; fi
    chmod 0700 "$DEV_DB_DIR"
  fi
  [ -d "$DEV_DB_DIR" ] || die "$DEV_DB_DIR exists but is not a directory. Remove it or set DEV_DB_DIR."

  if is_root; then
    if ! pg_can_traverse "$(readlink -f "$DEV_DB_DIR")"; then
      if [ -f "$DEV_DB_DIR/data/PG_VERSION" ]; then
        die "user postgres cannot reach $DEV_DB_DIR (a parent directory is not traversable) and it already holds a cluster. Make the parent directories traversable (chmod o+x) or move the cluster away."
      fi
      use_fallback_dir "user postgres cannot traverse a parent directory of $DEV_DB_DIR"
    fi
    chown postgres:postgres "$(readlink -f "$DEV_DB_DIR")"
  fi

  set_cluster_paths
  # Unix socket paths are limited to 107 bytes.
  if [ $(( ${#RUN_DIR} + 20 )) -gt 100 ] && [ ! -f "$PGDATA_DIR/PG_VERSION" ] && [ "$CLUSTER_DIR" != "$FALLBACK_DIR" ]; then
    use_fallback_dir "the socket path under $RUN_DIR would be too long"
    set_cluster_paths
  fi
  [ $(( ${#RUN_DIR} + 20 )) -le 107 ] ||
    die "unix socket directory $RUN_DIR is too long (limit ~100 chars). Set DEV_DB_DIR to a shorter path."

  local d
  for d in "$PGDATA_DIR" "$RUN_DIR"; do
    if [ ! -d "$d" ]; then
      mkdir -p "$d"
      chmod 0700 "$d"
      if is_root; then chown postgres:postgres "$d"; fi
    fi
  done
  if [ ! -e "$LOG_FILE" ]; then
    : >"$LOG_FILE"
    if is_root; then chown postgres:postgres "$LOG_FILE"; fi
  fi
}

pg_running() { # exit 0 when the cluster is running
  [ -f "$PGDATA_DIR/PG_VERSION" ] || return 1
  as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

running_port() { # 4th line of postmaster.pid is the port
  as_pg sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true
}

check_cluster_version() {
  local have
  have="$(cat "$PGDATA_DIR/PG_VERSION" 2>/dev/null || true)"
  if [ -n "$have" ] && [ "$have" != "$PG_VER" ]; then
    die "cluster $PGDATA_DIR was created by PostgreSQL $have but the server here is $PG_VER. Remove $DEV_DB_DIR (loses the dev data) and run start again."
  fi
}

write_settings() {
  local conf="$PGDATA_DIR/dev-db.conf" shm_kb
  {
    printf '# Written by scripts/dev-db.sh on every start: do not edit, changes are lost.\n'
    printf "listen_addresses = '127.0.0.1'\n"
    printf 'port = %s\n' "$DEV_DB_PORT"
    printf "unix_socket_directories = '%s'\n" "$RUN_DIR"
    printf 'max_connections = 300\n'
    printf 'shared_buffers = 256MB\n'
    printf 'maintenance_work_mem = 1GB\n'
    printf 'max_parallel_maintenance_workers = 2\n'
    # Parallel HNSW builds put up to maintenance_work_mem in dynamic shared
    # memory; a small /dev/shm (Docker's default is 64MB) would make them fail.
    shm_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $2}')"
    if [ -z "$shm_kb" ] || [ "$shm_kb" -lt 2097152 ]; then
      printf 'dynamic_shared_memory_type = mmap\n'
    fi
    if [ "$DEV_DB_FAST" = 1 ]; then
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
    fi
  } | as_pg tee "$conf" >/dev/null
  if ! as_pg grep -q "^include_if_exists = 'dev-db.conf'" "$PGDATA_DIR/postgresql.conf"; then
    printf "\n# Settings managed by scripts/dev-db.sh\ninclude_if_exists = 'dev-db.conf'\n" |
      as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
  fi
}

check_port_free() {
  local out=""
  if command -v ss >/dev/null 2>&1; then
    out="$(ss -Hltnp "( sport = :$DEV_DB_PORT )" 2>/dev/null || true)"
  elif (exec 3<>"/dev/tcp/127.0.0.1/$DEV_DB_PORT") 2>/dev/null; then
    out="(something accepts connections on 127.0.0.1:$DEV_DB_PORT)"
  fi
  if [ -n "$out" ]; then
    printf 'dev-db: ERROR: port %s is already in use by another process:\n%s\n' "$DEV_DB_PORT" "$out" >&2
    printf 'dev-db: Stop that process or pick another port, e.g.: DEV_DB_PORT=54330 bash %q start\n' "$SCRIPT_PATH" >&2
    exit 1
  fi
}

psql_cmd() { # psql over TCP as postgres; extra args appended
  PGCONNECT_TIMEOUT=10 "$PG_BINDIR/psql" -X -h 127.0.0.1 -p "$DEV_DB_PORT" -U postgres "$@"
}

LOCK_FD_OPEN=0
take_lock() {
  [ "$LOCK_FD_OPEN" -eq 0 ] || return 0
  command -v flock >/dev/null 2>&1 || return 0
  local lock
  lock="/tmp/mcp-dev-db-$DIR_HASH-$(id -u).lock"
  if ! { exec 9>>"$lock"; } 2>/dev/null; then
    log "warning: cannot open lock file $lock; continuing without locking"
    return 0
  fi
  if ! flock -w 300 9; then
    die "another dev-db.sh is still running after 300s (lock $lock). Wait for it or remove the lock."
  fi
  LOCK_FD_OPEN=1
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

print_env() {
  local base="postgres://postgres@127.0.0.1:$DEV_DB_PORT"
  printf "export CODEBASE_MCP_DATABASE_URL='%s/codebase_mcp?sslmode=disable'\n" "$base"
  printf "export WORKFLOW_MCP_DATABASE_URL='%s/workflow_mcp?sslmode=disable'\n" "$base"
  printf "export TEST_DATABASE_URL='%s/postgres?sslmode=disable'\n" "$base"
  printf "export PG_BINDIR='%s'\n" "$PG_BINDIR"
}

cmd_env() {
  require_server
  print_env
}

start_cluster() {
  take_lock
  cmd_install
  require_server
  prepare_cluster_dir
  check_cluster_version

  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    if [ -n "$(ls -A "$PGDATA_DIR" 2>/dev/null)" ]; then
      die "$PGDATA_DIR is not empty but has no PG_VERSION (interrupted initdb?). Remove $PGDATA_DIR and run start again."
    fi
    log "initdb (PostgreSQL $PG_VER) in $PGDATA_DIR ..."
    # initdb's own chatter ("Success. You can now start the database server
    # using pg_ctl ...") is noise here; it is shown only when initdb fails.
    local initlog
    initlog=$(mktemp)
    if ! as_pg "$PG_BINDIR/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$initlog" 2>&1; then
      cat "$initlog" >&2
      rm -f "$initlog"
      die "initdb failed (see output above). Remove $PGDATA_DIR and retry."
    fi
    rm -f "$initlog"
  fi

  if pg_running; then
    local rp
    rp="$(running_port)"
    if [ "$rp" = "$DEV_DB_PORT" ]; then
      log "already running on 127.0.0.1:$DEV_DB_PORT (data: $PGDATA_DIR)"
      # Re-apply settings; the DEV_DB_FAST ones take effect on reload.
      write_settings
      as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" reload >/dev/null ||
        log "warning: pg_ctl reload failed; settings apply at the next restart"
      ensure_databases
      return 0
    fi
    check_port_free
    log "running on port $rp but DEV_DB_PORT=$DEV_DB_PORT: restarting to apply the new port"
    as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >&2 ||
      die "could not stop the cluster in $PGDATA_DIR (see $LOG_FILE)"
  fi

  write_settings
  check_port_free
  log "starting PostgreSQL $PG_VER on 127.0.0.1:$DEV_DB_PORT (log: $LOG_FILE) ..."
  # 9>&-: the server must not inherit (and so hold forever) the lock fd.
  if ! as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -l "$LOG_FILE" start >&2 9>&-; then
    printf 'dev-db: ERROR: PostgreSQL failed to start. Last 30 lines of %s:\n' "$LOG_FILE" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
    printf 'dev-db: Fix the problem above (port in use? set DEV_DB_PORT; corrupt data? remove %s) and run start again.\n' "$DEV_DB_DIR" >&2
    exit 1
  fi
  ensure_databases
}

ensure_databases() {
  local sql="SELECT format('CREATE DATABASE %I', d) FROM unnest(ARRAY[" d sep=""
  for d in "${DATABASES[@]}"; do
    sql+="$sep'$d'"
    sep=","
  done
  sql+="]) AS d WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \\gexec"
  printf '%s\n' "$sql" | psql_cmd -d postgres -q -v ON_ERROR_STOP=1 >&2 ||
    die "could not create databases ${DATABASES[*]} on 127.0.0.1:$DEV_DB_PORT (see $LOG_FILE)"
  log "databases ready: ${DATABASES[*]}"
}

cmd_start() {
  start_cluster >&2
  print_env
}

cmd_stop() {
  require_server
  set_cluster_paths
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    log "no cluster initialised in $DEV_DB_DIR: nothing to stop"
    return 0
  fi
  take_lock
  if ! pg_running; then
    log "not running (data: $PGDATA_DIR)"
    return 0
  fi
  as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >&2 ||
    die "pg_ctl stop failed; see $LOG_FILE"
  log "stopped"
}

cmd_status() {
  local ver vv rc=3 port="$DEV_DB_PORT" state=stopped
  ver="$(pg_version)"
  set_cluster_paths
  if [ -z "$ver" ]; then
    log "PostgreSQL server: not installed (run: bash $SCRIPT_PATH install)"
    log "state: stopped"
    return 3
  fi
  PG_VER="$ver"
  PG_BINDIR="/usr/lib/postgresql/$ver/bin"
  vv="$(pgvector_version "$ver")"
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    state="stopped (not initialised; run: bash $SCRIPT_PATH start)"
  elif pg_running; then
    state=running
    rc=0
    port="$(running_port)"
  fi
  log "state:    $state"
  log "port:     127.0.0.1:$port"
  if [ "$CLUSTER_DIR" != "$DEV_DB_DIR" ]; then
    log "data dir: $PGDATA_DIR (via symlink $DEV_DB_DIR)"
  else
    log "data dir: $PGDATA_DIR"
  fi
  log "log file: $LOG_FILE"
  log "server:   $("$PG_BINDIR/postgres" --version) ($PG_BINDIR)"
  log "pgvector: ${vv:-not installed (run: bash $SCRIPT_PATH install)}"
  return "$rc"
}

cmd_psql() {
  require_server
  exec env PGCONNECT_TIMEOUT=10 "$PG_BINDIR/psql" -X -h 127.0.0.1 -p "$DEV_DB_PORT" -U postgres "$@"
}

main() {
  local cmd="${1:-help}"
  [ $# -eq 0 ] || shift
  case "$cmd" in
    install) cmd_install >&2 ;;
    start) cmd_start ;;
    stop) cmd_stop >&2 ;;
    status) cmd_status >&2 ;;
    env) cmd_env ;;
    psql) cmd_psql "$@" ;;
    help | -h | --help) usage ;;
    *)
      printf 'dev-db: unknown command: %s\n\n' "$cmd" >&2
      usage
      exit 2
      ;;
  esac
}

main "$@"
