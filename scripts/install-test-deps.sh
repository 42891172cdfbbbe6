#!/usr/bin/env bash
# Installs the Debian packages the host-side tests need, when they are missing:
# python-can 4.1 as the interoperability peer (always /usr/bin/python3; PyPI is not used) and
# iproute2 for network namespaces, systemd for `systemd-analyze verify` of the unit file.
# The SocketCAN VM installs its own (test/vm/setup.sh).
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import can, msgpack' 2>/dev/null || missing+=(python3-can python3-msgpack)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${missing[*]} and not root: install them with apt-get (tests that need them will skip, or fail under CI=true)" >&2
  exit 0
fi
echo "install-test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
