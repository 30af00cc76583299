#!/usr/bin/env bash
# Stops the grid started by start-grid.sh. SIGTERM first, because the node
# turns it into a graceful cluster leave (CoordinatedShutdown: shards hand off,
# the member is removed instead of being marked unreachable and downed).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/local/stop-grid.sh [--help]

Stops the hosts started by deploy/local/start-grid.sh: sends SIGTERM to each
(graceful cluster leave), waits up to 30 s for them to exit, sends SIGKILL to
any still running, and removes the pid files in deploy/local/run/.
Logs and data directories are kept.
EOF
}

for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
  esac
done

RUN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run"
# Workers first, the core/gateway seed last, so the leaving workers still
# have a leader to hand their shards and membership over to.
HOSTS=(host-c host-b host-a)
GRACE_SECONDS=30

# Only signal a pid that still runs our node: a stale pid file may point at
# an unrelated process that reused the number.
is_our_node() {
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'ActorGrid.Node'
}

declare -A PIDS=()
for h in "${HOSTS[@]}"; do
  f="$RUN_DIR/$h.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  if is_our_node "$pid"; then
    echo "==> SIGTERM $h (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    PIDS[$h]=$pid
  else
    echo "==> $h is not running (stale pid file)"
    rm -f "$f"
  fi
done

if [ "${#PIDS[@]}" -eq 0 ]; then
  echo "nothing to stop"
  exit 0
fi

deadline=$((SECONDS + GRACE_SECONDS))
while [ "$SECONDS" -lt "$deadline" ]; do
  running=0
  for h in "${!PIDS[@]}"; do
    if is_our_node "${PIDS[$h]}"; then running=1; fi
  done
  [ "$running" = 0 ] && break
  sleep 1
done

for h in "${HOSTS[@]}"; do
  pid="${PIDS[$h]:-}"
  [ -n "$pid" ] || continue
  if is_our_node "$pid"; then
    echo "==> $h did not exit within ${GRACE_SECONDS} s; SIGKILL (pid $pid)"
    kill -KILL "$pid" 2>/dev/null || true
  else
    echo "==> $h stopped"
  fi
  rm -f "$RUN_DIR/$h.pid"
done
