#!/usr/bin/env bash
# Installs one ActorGrid host as a systemd service: deploy/systemd/install.sh core|gateway|worker [PUBLISH_DIR]
# PUBLISH_DIR is the output of `dotnet publish src/ActorGrid.Node -c Release -o DIR`; without it
# the script publishes from this checkout (needs the .NET 10 SDK). Run as root. Idempotent: a
# rerun updates the binary and the unit and keeps /etc/actorgrid and the data folder.
set -euo pipefail

role="${1:-}"
case "$role" in
  core|gateway|worker) ;;
  *) echo "usage: $0 core|gateway|worker [PUBLISH_DIR]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (it creates a user and writes /etc, /opt, /var/lib)" >&2; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
publish="${2:-}"
[ -x /usr/bin/dotnet ] || { echo "install.sh: /usr/bin/dotnet is missing; install the ASP.NET Core 10 runtime (the unit runs it)" >&2; exit 1; }

if [ -z "$publish" ]; then
  publish="$(mktemp -d)"
  dotnet publish "$repo/src/ActorGrid.Node/ActorGrid.Node.csproj" -c Release -o "$publish" --nologo -v q
fi
[ -f "$publish/ActorGrid.Node.dll" ] || { echo "install.sh: $publish has no ActorGrid.Node.dll" >&2; exit 1; }

# A dedicated system user with no shell and no home of its own beyond the data folder.
getent group actorgrid >/dev/null || groupadd --system actorgrid
id actorgrid >/dev/null 2>&1 || useradd --system --gid actorgrid --home-dir /var/lib/actorgrid --shell /usr/sbin/nologin actorgrid

install -d -m 0755 /opt/actorgrid
cp -a "$publish/." /opt/actorgrid/
install -d -m 0750 -o actorgrid -g actorgrid /var/lib/actorgrid "/var/lib/actorgrid/$role"
install -d -m 0750 -o root -g actorgrid /etc/actorgrid /etc/actorgrid/tls
[ -f /etc/actorgrid/actorgrid.env ] || install -m 0640 -o root -g actorgrid "$here/actorgrid.env.example" /etc/actorgrid/actorgrid.env
[ -f /etc/actorgrid/cluster.hocon ] || install -m 0640 -o root -g actorgrid "$here/cluster.hocon" /etc/actorgrid/cluster.hocon
if [ "$role" = worker ] && [ ! -f /etc/actorgrid/node.hocon ]; then
  install -m 0640 -o root -g actorgrid "$repo/hocon/nodes/gpu-hub.hocon" /etc/actorgrid/node.hocon
fi

install -m 0644 "$here/actorgrid-$role.service" "/etc/systemd/system/actorgrid-$role.service"
if command -v systemd-analyze >/dev/null; then systemd-analyze verify "/etc/systemd/system/actorgrid-$role.service"; fi
systemctl daemon-reload
systemctl enable "actorgrid-$role.service"

missing=""
[ -f /etc/actorgrid/tls/host.pfx ] || missing="$missing /etc/actorgrid/tls/host.pfx"
[ -f /etc/actorgrid/tls/ca.crt ] || missing="$missing /etc/actorgrid/tls/ca.crt"
echo "actorgrid-$role installed and enabled."
echo "Edit /etc/actorgrid/actorgrid.env$([ "$role" = worker ] && echo " and /etc/actorgrid/node.hocon"), then: systemctl start actorgrid-$role"
[ -z "$missing" ] || echo "Still needed:$missing (actorgrid certs init --out certs --hosts <host>=<ip>,...; copy <host>.pfx as host.pfx and ca.crt, group actorgrid, mode 0640)"
