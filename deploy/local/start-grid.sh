#!/usr/bin/env bash
# Starts a 3-host ActorGrid cluster on loopback, the smallest setup that
# exercises what a single embedded process cannot: joining by seeds, remote
# shard regions, and tasks running on a host other than the gateway's.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/local/start-grid.sh [--no-build] [--no-tls] [--help]

Starts three ActorGrid.Node hosts on 127.0.0.1 that form one cluster:

  host-a  --roles core,gateway  --port 4053  --http 127.0.0.1:8080   (seed)
  host-b  --roles worker        --port 4054  --node hocon/nodes/edge-gateway.hocon
  host-c  --roles worker        --port 4055  --node hocon/nodes/regional-cloud.hocon

All hosts share one PostgreSQL journal (several hosts cannot share SQLite).
Cluster traffic is mutual TLS: on the first start `actorgrid certs init` writes
a cluster CA and one certificate per host into deploy/local/run/certs/, and
the hosts refuse any peer whose certificate that CA did not sign.
Logs, pid files and each host's --data directory live under deploy/local/run/.
Waits until http://127.0.0.1:8080/readyz answers 200 (at most 120 s), then
prints the operator token and the endpoints. Stop the grid with stop-grid.sh.

Options:
  --no-build   run the already built Release dlls instead of building first
  --no-tls     plain akka.tcp remoting (any host reaching the ports can join)
  --help       show this text

Environment:
  ACTORGRID_DB           journal URL
                         (default postgresql://postgres:postgres@127.0.0.1:5432/actorgrid)
  ACTORGRID_ADMIN_TOKEN  operator token (default: generated once, kept in
                         deploy/local/run/admin-token)
  ACTORGRID_TLS_PASSWORD password of the hosts' .pfx files (default: empty)
EOF
}

BUILD=1
TLS=1
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --no-build) BUILD=0 ;;
    --no-tls) TLS=0 ;;
    *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
  esac
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"   # hosts get repo-relative paths (--node, --data)
RUN_DIR=deploy/local/run
DB="${ACTORGRID_DB:-postgresql://postgres:postgres@127.0.0.1:5432/actorgrid}"
CERTS="$RUN_DIR/certs"
if [ "$TLS" = 1 ]; then SEEDS="akka.ssl.tcp://actorgrid@127.0.0.1:4053"; else SEEDS="akka.tcp://actorgrid@127.0.0.1:4053"; fi
GATEWAY="http://127.0.0.1:8080"
HOSTS=(host-a host-b host-c)
mkdir -p "$RUN_DIR"

host_args() {
  case "$1" in
    host-a) echo "--roles core,gateway --port 4053 --http 127.0.0.1:8080" ;;
    host-b) echo "--roles worker --port 4054 --node hocon/nodes/edge-gateway.hocon" ;;
    host-c) echo "--roles worker --port 4055 --node hocon/nodes/regional-cloud.hocon" ;;
  esac
}

# A pid file only counts if that pid still runs our node: pids get reused.
is_our_node() {
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'ActorGrid.Node'
}

for h in "${HOSTS[@]}"; do
  if [ -f "$RUN_DIR/$h.pid" ] && is_our_node "$(cat "$RUN_DIR/$h.pid")"; then
    echo "$h is already running (pid $(cat "$RUN_DIR/$h.pid")); run deploy/local/stop-grid.sh first" >&2
    exit 1
  fi
  rm -f "$RUN_DIR/$h.pid"
done

case "$DB" in
  postgresql://*|postgres://*) ;;
  *) echo "warning: ACTORGRID_DB=$DB is not PostgreSQL; three hosts cannot share a SQLite journal" >&2 ;;
esac

# Best effort: create the journal database when psql is around, so a fresh
# PostgreSQL (e.g. the one .ci/run starts) works without manual steps.
if command -v psql >/dev/null 2>&1 && [[ "$DB" == postgres*://* ]]; then
  db_name="${DB##*/}"; db_name="${db_name%%\?*}"
  if ! psql "$DB" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    if psql "${DB%/*}/postgres" -qtAc "CREATE DATABASE \"$db_name\"" >/dev/null 2>&1; then
      echo "created PostgreSQL database $db_name"
    else
      echo "warning: cannot reach $DB; start PostgreSQL first (.ci/run shows how)" >&2
    fi
  fi
fi

if [ -n "${ACTORGRID_ADMIN_TOKEN:-}" ]; then
  TOKEN="$ACTORGRID_ADMIN_TOKEN"
elif [ -s "$RUN_DIR/admin-token" ]; then
  TOKEN="$(cat "$RUN_DIR/admin-token")"
else
  # Keep the token across restarts so scripts and curl commands keep working.
  TOKEN="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  (umask 077 && printf '%s' "$TOKEN" > "$RUN_DIR/admin-token")
fi
export ACTORGRID_ADMIN_TOKEN="$TOKEN"

DLL=src/ActorGrid.Node/bin/Release/net10.0/ActorGrid.Node.dll
CLI=src/ActorGrid.Cli/bin/Release/net10.0/ActorGrid.Cli.dll
if [ "$BUILD" = 1 ]; then
  echo "==> building src/ActorGrid.Node (Release)"
  dotnet build -c Release src/ActorGrid.Node
  if [ "$TLS" = 1 ]; then
    echo "==> building src/ActorGrid.Cli (Release, for certs init)"
    dotnet build -c Release src/ActorGrid.Cli
  fi
fi
if [ ! -f "$DLL" ]; then
  echo "cannot find $DLL; build it with: dotnet build -c Release src/ActorGrid.Node" >&2
  exit 1
fi

tls_args() { :; }
if [ "$TLS" = 1 ]; then
  # Reruns keep the CA and the host certificates already there (certs init only adds what is missing).
  if [ ! -f "$CLI" ]; then
    echo "cannot find $CLI; build it with: dotnet build -c Release src/ActorGrid.Cli (or pass --no-tls)" >&2
    exit 1
  fi
  echo "==> cluster certificates in $CERTS"
  dotnet "$CLI" certs init --out "$CERTS" --hosts host-a=127.0.0.1,host-b=127.0.0.1,host-c=127.0.0.1 | sed 's/^/    /'
  tls_args() { echo "--tls-cert $CERTS/$1.pfx --tls-ca $CERTS/ca.crt"; }
fi

for h in "${HOSTS[@]}"; do
  mkdir -p "$RUN_DIR/$h"
  # setsid: the hosts outlive this script and a Ctrl-C in its terminal; only
  # stop-grid.sh (SIGTERM -> graceful cluster leave) should end them.
  # shellcheck disable=SC2046  # host_args is meant to split into words
  setsid dotnet "$DLL" $(host_args "$h") $(tls_args "$h") \
    --hostname 127.0.0.1 --seeds "$SEEDS" --db "$DB" --data "$RUN_DIR/$h" \
    >"$RUN_DIR/$h.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$h.pid"
  echo "==> started $h (pid $!): $(host_args "$h"), log $RUN_DIR/$h.log"
done

echo "==> waiting for $GATEWAY/readyz (up to 120 s)"
start=$SECONDS
last_report=0
while :; do
  code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$GATEWAY/readyz" || true)"
  [ "$code" = 200 ] && break
  for h in "${HOSTS[@]}"; do
    if ! is_our_node "$(cat "$RUN_DIR/$h.pid")"; then
      echo "$h exited during start-up; last lines of $RUN_DIR/$h.log:" >&2
      tail -n 40 "$RUN_DIR/$h.log" >&2 || true
      "$REPO_ROOT/deploy/local/stop-grid.sh" >&2 || true
      exit 1
    fi
  done
  elapsed=$((SECONDS - start))
  if [ "$elapsed" -ge 120 ]; then
    echo "not ready after 120 s (last /readyz status: ${code/#000/no answer}); last lines of $RUN_DIR/host-a.log:" >&2
    tail -n 40 "$RUN_DIR/host-a.log" >&2 || true
    echo "the hosts are still running; inspect the logs, then run deploy/local/stop-grid.sh" >&2
    exit 1
  fi
  if [ $((elapsed - last_report)) -ge 5 ]; then
    echo "    ${elapsed}s: /readyz -> ${code/#000/no answer}"
    last_report=$elapsed
  fi
  sleep 1
done

cat <<EOF
==> grid ready after $((SECONDS - start)) s

Operator token:  $TOKEN   (also in $RUN_DIR/admin-token)
Gateway:         $GATEWAY
  health         $GATEWAY/healthz
  readiness      $GATEWAY/readyz
  cluster        curl -H "Authorization: Bearer $TOKEN" $GATEWAY/v1/cluster
  nodes          curl -H "Authorization: Bearer $TOKEN" $GATEWAY/v1/nodes
Akka seeds:      $SEEDS (hosts on ports 4053, 4054, 4055)
Cluster TLS:     $([ "$TLS" = 1 ] && echo "mutual TLS, CA $CERTS/ca.crt" || echo "off (--no-tls): any host reaching the ports can join")
Journal:         $DB
Logs:            $RUN_DIR/host-{a,b,c}.log
Stop:            deploy/local/stop-grid.sh
EOF
