#!/usr/bin/env bash
# A local cluster on loopback: PostgreSQL, nats-server, three chat servers (Release build) and nginx in front of them.
#   scripts/cluster.sh up [DIR]     start it all in DIR (default .cluster), print the address to open
#   scripts/cluster.sh down [DIR]   stop what up started (by the PIDs it wrote), keep DIR's data
# Needs Debian's postgresql, nats-server and nginx (apt-get install postgresql nats-server nginx). Set PORT for the
# address nginx listens on (default: a free one). Loopback only, trust authentication: for trying it out, never for a
# deployment (docs/OPERATIONS.md, "Several servers").
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-}
dir=${2:-.cluster}
nodes=3

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # URL, what
  for _ in $(seq 1 300); do
    if curl -fs "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not come up ($1)" >&2
  return 1
}

stop_pid() { # file
  if [ -f "$1" ]; then
    kill -TERM "$(cat "$1")" 2>/dev/null || true
    rm -f "$1"
  fi
}

case "$cmd" in
  up)
    for tool in nats-server nginx; do
      command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "$tool not found: apt-get install $tool" >&2; exit 1; }
    done
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir"
    dotnet build -c Release Chat.Server -nologo -v quiet >/dev/null

    postgres=$(scripts/postgres.sh up "$dir/postgres" | tail -1)
    # Made on the first start; "already exists" on the next.
    scripts/postgres.sh createdb "$dir/postgres" chat >/dev/null 2>&1 || true
    postgres=${postgres/Database=postgres/Database=chat}

    nats_port=$(free_port)
    "$(command -v nats-server || echo /usr/sbin/nats-server)" -a 127.0.0.1 -p "$nats_port" >"$dir/nats.log" 2>&1 &
    echo $! >"$dir/nats.pid"
    nats="nats://127.0.0.1:$nats_port"

    servers=""
    for i in $(seq 1 "$nodes"); do
      port=$(free_port)
      dotnet Chat.Server/bin/Release/net10.0/Chat.Server.dll --urls="http://127.0.0.1:$port" \
        --Chat:Postgres="$postgres" --Chat:Nats="$nats" --Chat:NodeId="node$i" \
        --Chat:TrustedProxies:0=127.0.0.1 --Chat:MaxConnectionsPerIp=0 >"$dir/node$i.log" 2>&1 &
      echo $! >"$dir/node$i.pid"
      wait_for "http://127.0.0.1:$port/healthz" "node$i (log: $dir/node$i.log)"
      servers="$servers server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"
    done

    listen=${PORT:-$(free_port)}
    mkdir -p "$dir/nginx"
    sed -e "s|@DIR@|$dir/nginx|g" -e "s|@LISTEN@|127.0.0.1:$listen|g" -e "s|@SERVERS@|$servers|g" \
      deploy/nginx-cluster.conf >"$dir/nginx/nginx.conf"
    "$(command -v nginx || echo /usr/sbin/nginx)" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log"
    wait_for "http://127.0.0.1:$listen/healthz" "nginx (log: $dir/nginx/error.log)"
    echo "$listen" >"$dir/port"
    echo "Three servers on PostgreSQL ($postgres) and NATS ($nats), behind nginx:"
    echo "http://127.0.0.1:$listen/"
    ;;
  down)
    [ -d "$dir" ] || { echo "no cluster in $dir" >&2; exit 1; }
    stop_pid "$dir/nginx/nginx.pid"
    for i in $(seq 1 "$nodes"); do stop_pid "$dir/node$i.pid"; done
    stop_pid "$dir/nats.pid"
    sleep 1
    scripts/postgres.sh down "$dir/postgres" || true
    echo "stopped; the data stays in $dir"
    ;;
  *)
    echo "usage: $0 up|down [DIR]" >&2
    exit 2
    ;;
esac
