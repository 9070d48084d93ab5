#!/usr/bin/env bash
# A stand-in for python:3.11.14-slim-bookworm, from Debian's own packages, for machines that
# cannot pull from Docker Hub (see image-test.sh): Debian bookworm (minbase) with its python3.11
# (3.11.2) and CA certificates, the interpreter also at /usr/local/bin/python3.11 where the
# official image has it. Tagged localhost/taskpilot-standin/python:3.11-bookworm in buildah.
#
# It also trusts the build machine's own extra CA certificates (/usr/local/share/
# ca-certificates, an egress proxy's on machines that reach PyPI through one), and tells uv to
# use the system's certificates, so that `uv sync` in the Dockerfile reaches PyPI from here.
# A release base trusts only Debian's and Python's usual roots.
set -euo pipefail
name="localhost/taskpilot-standin/python:3.11-bookworm"
if buildah inspect --type image "$name" >/dev/null 2>&1; then exit 0; fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
debootstrap --variant=minbase --include=python3.11,ca-certificates bookworm "$root" "$mirror" \
  >/dev/null
ln -sf /usr/bin/python3.11 "$root/usr/local/bin/python3.11"
ln -sf /usr/bin/python3.11 "$root/usr/local/bin/python3"
ln -sf /usr/bin/python3.11 "$root/usr/local/bin/python"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
ctr="$(buildah from scratch)"
mnt="$(buildah mount "$ctr")"
cp -a "$root"/. "$mnt"/
buildah umount "$ctr" >/dev/null
buildah config --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 --env UV_NATIVE_TLS=1 \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --cmd python3 "$ctr"
buildah commit --quiet "$ctr" "$name" >/dev/null
buildah rm "$ctr" >/dev/null
echo "built the stand-in $name"
