#!/usr/bin/env bash
# Runs PostgreSQL from local server binaries as the AppHost's "postgres" resource (no container runtime).
#
# Input (environment, set by LocalPostgresBuilderExtensions.AddLocalPostgres): PG_BIN (server binaries),
# PGDATA (data directory, kept between runs), PGPORT (chosen by Aspire), POSTGRES_PASSWORD (the server's
# password parameter).
#
# Why a wrapper and not postgres itself:
# - the data directory must be created on first use (initdb), and the superuser password brought in line
#   with the AppHost's parameter on every start (it may have been reset in user secrets);
# - PostgreSQL refuses to run as root, which CI and some machines are: then it runs as the postgres user;
# - DCP stops executables with SIGTERM, which PostgreSQL treats as a "smart" shutdown that waits for every
#   client to leave. SIGINT is the "fast" shutdown (clients disconnected, data flushed): we forward that.
set -uo pipefail

: "${PG_BIN:?PG_BIN is not set}" "${PGDATA:?PGDATA is not set}" "${PGPORT:?PGPORT is not set}"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}"

fail() { echo "run-local-postgres: $*" >&2; exit 1; }

as_server_user=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || fail "running as root, and there is no 'postgres' user to run PostgreSQL as (PostgreSQL refuses root)."
  # setpriv keeps root's HOME, and libpq in the server (a Citus coordinator's connections to its workers)
  # then fails on /root/.postgresql: give the server the postgres user's own home.
  as_server_user=(setpriv --reuid=postgres --regid=postgres --init-groups env "HOME=$(getent passwd postgres | cut -d: -f6)")
  mkdir -p "$PGDATA" && chown postgres: "$PGDATA" && chmod 700 "$PGDATA" || fail "cannot prepare $PGDATA"
  "${as_server_user[@]}" test -w "$PGDATA" \
    || fail "the postgres user cannot reach $PGDATA; set Postgres:DataDirectory to a folder it can reach (for example under /var/lib)."
else
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA" || fail "cannot prepare $PGDATA"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "Initialising a new PostgreSQL data directory in $PGDATA"
  # initdb wants an empty data directory, so the password file lives elsewhere, readable by the server user.
  pwfile=$(mktemp) || fail "cannot create a temporary file"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  [ ${#as_server_user[@]} -eq 0 ] || chown postgres: "$pwfile"
  "${as_server_user[@]}" "$PG_BIN/initdb" --pgdata="$PGDATA" --username=postgres --pwfile="$pwfile" \
      --auth=scram-sha-256 --encoding=UTF8 --locale=C --no-instructions 2>&1
  status=$?
  rm -f "$pwfile"
  [ $status -eq 0 ] || fail "initdb failed (exit $status)"
else
  # Single-user mode needs no running server and no authentication: the one moment to set the password. It
  # replays the WAL first, and a server stopped while a two-phase commit was prepared (a Citus node) has prepared
  # transactions to restore: it needs the server's max_prepared_transactions, or it refuses to start ("maximum
  # number of prepared transactions reached") and the node never comes back.
  single=()
  for setting in ${PG_SETTINGS:-}; do
    case "$setting" in max_prepared_transactions=*) single+=(-c "$setting") ;; esac
  done
  escaped=${POSTGRES_PASSWORD//\'/\'\'}
  output=$(echo "ALTER ROLE postgres PASSWORD '$escaped';" \
      | "${as_server_user[@]}" "$PG_BIN/postgres" --single -D "$PGDATA" "${single[@]}" -j postgres 2>&1) \
    || fail "could not set the superuser password in single-user mode: $output"
fi

settings=()
for setting in ${PG_SETTINGS:-}; do settings+=(-c "$setting"); done

# Supervision, as a container's restart policy would do it: a server that exits without being asked to (killed,
# crashed) is started again, after 1 s, then 2, 4 ... up to 30 s while it keeps failing; crash recovery replays
# the WAL, so every acknowledged (committed, fsynced) reading is there again. A stop we forward (Ctrl+C, the
# dashboard's Stop) is not restarted. The very first start failing before it accepts connections (a bad setting, the
# port taken) is not retried either: that is a configuration to fix, shown as the resource exiting. The AppHost reads the "restarting" and
# "ready" lines below (LocalPostgresSupervision) to show the state in the dashboard.
stopping=0
trap 'stopping=1; kill -INT "$server" 2>/dev/null' TERM INT

delay=1
restarts=0
while :; do
  # PostgreSQL logs to stderr, which the Aspire dashboard shows as errors: send it to stdout.
  "${as_server_user[@]}" "$PG_BIN/postgres" -D "$PGDATA" -p "$PGPORT" \
      -c listen_addresses=localhost -c unix_socket_directories= "${settings[@]}" 2>&1 &
  server=$!
  started=$SECONDS

  # wait returns early when a trapped signal arrives; keep waiting until the server has really exited.
  while :; do
    wait "$server"
    status=$?
    kill -0 "$server" 2>/dev/null || break
  done

  [ "$stopping" = 1 ] && exit "$status"
  # A server killed while serving leaves postmaster.pid behind with "ready" as its status line; one that never got
  # that far (a bad setting, the port taken) removes it or leaves "starting". Only the first start is judged so: a
  # restart failing (orphaned backends still holding shared memory) is retried with the backoff below.
  if [ "$restarts" = 0 ] && [ "$(sed -n 8p "$PGDATA/postmaster.pid" 2>/dev/null | tr -d ' ')" != ready ]; then
    fail "PostgreSQL exited at start (status $status); see its log above."
  fi
  # A server that ran a while before it died starts again at once-ish; one that keeps dying backs off.
  [ $((SECONDS - started)) -ge 60 ] && delay=1
  restarts=$((restarts + 1))
  echo "run-local-postgres: restarting: PostgreSQL exited unexpectedly (status $status); restart $restarts in $delay s"
  sleep "$delay" & sleeper=$!
  wait "$sleeper"
  kill "$sleeper" 2>/dev/null
  [ "$stopping" = 1 ] && exit 0
  delay=$((delay * 2 > 30 ? 30 : delay * 2))
done
