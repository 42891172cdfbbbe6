#!/usr/bin/env bash
# Installs can-multicast-bridge as a systemd service, from a clone where `npm ci` has run:
#   - the package (production dependencies only, the addon built for this Node) into $PREFIX
#     (default /opt/can-multicast-bridge): `npm pack` of this tree, then `npm install --global`;
#     the command is then $PREFIX/bin/can-multicast-bridge,
#   - the unit can-multicast-bridge@.service into $UNIT_DIR (default /etc/systemd/system),
#   - the directory /etc/can-multicast-bridge for one config file per CAN interface (<iface>.json).
# It starts nothing: `systemctl enable --now can-multicast-bridge@can0` does (README.md).
# PREFIX, UNIT_DIR and CONFIG_DIR may be changed (the tests install into a temporary directory);
# with SYSTEMCTL=no it does not call `systemctl daemon-reload`. DESTDIR (as in `make install`)
# puts everything under DESTDIR while the unit still names PREFIX: an image or a package root
# (the test VM boots one as a layer over /, test/deploy/systemd-vm.test.ts).
set -euo pipefail

PREFIX=${PREFIX:-/opt/can-multicast-bridge}
UNIT_DIR=${UNIT_DIR:-/etc/systemd/system}
CONFIG_DIR=${CONFIG_DIR:-/etc/can-multicast-bridge}
SYSTEMCTL=${SYSTEMCTL:-yes}
DESTDIR=${DESTDIR:-}
UNIT=can-multicast-bridge@.service
here=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -f "$here/dist/src/main.js" ]; then
  echo "install.sh: $here is not built: run \`npm ci\` there first" >&2
  exit 1
fi
# The unit runs the command's `#!/usr/bin/env node` with systemd's default PATH.
node_path=$(command -v node)
case "$node_path" in
  /usr/local/sbin/* | /usr/local/bin/* | /usr/sbin/* | /usr/bin/* | /sbin/* | /bin/*) ;;
  *) echo "install.sh: warning: node is $node_path, outside systemd's PATH; link it into /usr/local/bin" >&2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --ignore-scripts: pack the tree as `npm ci` built it (the prepare script would rebuild it).
tarball=$(cd "$here" && npm pack --silent --ignore-scripts --pack-destination "$work" | tail -n 1)
# A global install of the tarball: production dependencies only, and the package's install
# script builds the addon (native/build.mjs) for this Node.
npm install --global --prefix "$DESTDIR$PREFIX" --omit=dev --no-audit --no-fund --loglevel=error \
  "$work/$tarball"

install -d -m 0755 "$DESTDIR$UNIT_DIR" "$DESTDIR$CONFIG_DIR"
# The unit names /opt/can-multicast-bridge; another PREFIX is written into the installed copy.
sed "s#/opt/can-multicast-bridge/#$PREFIX/#g" "$here/systemd/$UNIT" >"$work/$UNIT"
install -m 0644 "$work/$UNIT" "$DESTDIR$UNIT_DIR/$UNIT"
if [ "$SYSTEMCTL" = yes ]; then systemctl daemon-reload; fi
echo "installed $DESTDIR$PREFIX/bin/can-multicast-bridge and $DESTDIR$UNIT_DIR/$UNIT; configs go to $CONFIG_DIR/<iface>.json"
