#!/usr/bin/env bash
# Builds and installs Citus into the system PostgreSQL the way a packager would: configure with the
# system pg_config, make, make install. No feed here serves Citus (../shared/citus holds its source release
# and the one patch these PostgreSQL 15 headers need); elsewhere install postgresql-<major>-citus-13.2 from
# Citus's package repository or use the citusdata/citus image instead (docs/scaling.md).
#
# Idempotent: skips when the installed citus.so is the one this script built from the same source
# (a stamp beside it records the tarball's and the patch's checksums).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
pg_config=${PG_CONFIG:-$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -n1)}
[ -x "$pg_config" ] || { echo "install-citus: no pg_config found; set PG_CONFIG" >&2; exit 1; }
pkglibdir=$("$pg_config" --pkglibdir)
stamp="$pkglibdir/citus.so.iotaspire-stamp"

# The source release: CITUS_SOURCE_DIR, or the shared folder beside the repository (or beside its parent, for a
# clone one level deeper), or this machine's shared folder.
src_dir=${CITUS_SOURCE_DIR:-}
if [ -z "$src_dir" ]; then
  for candidate in "$here/../shared/citus" "$here/../../shared/citus" /work/shared/citus; do
    [ -f "$candidate/citus-13.2.2.tar.gz" ] && { src_dir=$candidate; break; }
  done
fi
tarball="${src_dir:-/nonexistent}/citus-13.2.2.tar.gz"
patchfile="${src_dir:-/nonexistent}/pg15-have-createdb-privilege.patch"
if [ ! -f "$tarball" ]; then
  if [ -f "$pkglibdir/citus.so" ]; then
    echo "install-citus: citus.so is installed in $pkglibdir (the source release was not found to compare it with); using it"
    exit 0
  fi
  echo "install-citus: the Citus source release (citus-13.2.2.tar.gz) was not found; set CITUS_SOURCE_DIR to the folder holding it," >&2
  echo "  or install postgresql-<major>-citus-13.2 from Citus's package repository (docs/scaling.md)" >&2
  exit 1
fi
want=$(cat "$tarball" "$patchfile" 2>/dev/null | sha256sum | cut -d' ' -f1)-$("$pg_config" --version | tr ' ' _)
if [ -f "$pkglibdir/citus.so" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "install-citus: citus.so in $pkglibdir already matches this source; skipping"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-citus: make install writes into $pkglibdir; run as root (sudo $0)" >&2
  exit 1
fi

major=$("$pg_config" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')
deps=(build-essential "postgresql-server-dev-$major" libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev
      libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev)
missing=()
for p in "${deps[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  # postgresql-server-dev-N requires the server package of the same release: apt may upgrade postgresql-N with it
  # (15.18 to 15.20 on a fresh machine here), and a server already running from the old binaries then fails to load
  # the new ones' libraries ("plpgsql.so: undefined symbol"): restart running servers after this script.
  echo "install-citus: installing build dependencies ${missing[*]} (may upgrade postgresql-$major: restart running servers afterwards)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$tarball" -C "$work"
cd "$work"/citus-*
[ -f "$patchfile" ] && patch -p2 < "$patchfile"
./configure -q PG_CONFIG="$pg_config" >/dev/null
make -s -j"$(nproc)" >/dev/null
make -s install >/dev/null
# The stamp names the server version as it is now: installing the build dependencies from apt can upgrade the
# server itself (seen: 15.18 to 15.20), and a stamp of the version read before that made the next run build again.
want=$(cat "$tarball" "$patchfile" 2>/dev/null | sha256sum | cut -d' ' -f1)-$("$pg_config" --version | tr ' ' _)
echo "$want" > "$stamp"
echo "install-citus: installed $(grep -m1 default_version "$pkglibdir/../../../share/postgresql/$major/extension/citus.control" 2>/dev/null || echo citus) into $pkglibdir"
