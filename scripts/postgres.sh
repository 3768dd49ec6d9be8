#!/usr/bin/env bash
# A throw-away PostgreSQL on loopback for the tests, the benchmarks and the local cluster.
#   scripts/postgres.sh up DIR     initdb into DIR (if empty), start on a free 127.0.0.1 port (the one it had before, when
#                                  DIR was started already), print the connection string
#   scripts/postgres.sh down DIR   stop it (pg_ctl -m fast) and leave DIR as it is
#   scripts/postgres.sh crash DIR  stop it as a crash would (pg_ctl -m immediate: no checkpoint, recovery at next start)
#   scripts/postgres.sh createdb DIR NAME   create database NAME in the running server, print its connection string
# Runs the server as the postgres account when started as root (PostgreSQL refuses to run as root). Loopback only,
# trust authentication: for tests and local use, never for a deployment (docs/OPERATIONS.md has those settings).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL server binaries not found: apt-get install postgresql" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 up|down|crash|createdb DIR [NAME]" >&2
  exit 2
fi

case "$cmd" in
  up)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
      chown postgres "$dir"
      chmod 700 "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if [ -f "$dir/port" ]; then
      port=$(cat "$dir/port")
    else
      port=$(free_port)
    fi
    # Enough connections for several test servers at once; fsync stays on, as acks must mean durable.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  down)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
  crash)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null
    ;;
  createdb)
    name=${3:?usage: $0 createdb DIR NAME}
    port=$(cat "$dir/port")
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$name"
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=$name"
    ;;
  *)
    echo "usage: $0 up|down|crash|createdb DIR [NAME]" >&2
    exit 2
    ;;
esac
