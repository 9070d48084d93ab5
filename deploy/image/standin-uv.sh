#!/usr/bin/env bash
# A stand-in for ghcr.io/astral-sh/uv:<version> (see image-test.sh): an image holding only
# /uv, the same release's binary taken from its PyPI wheel. Usage: standin-uv.sh 0.13.0
set -euo pipefail
version="${1:?uv version}"
name="localhost/taskpilot-standin/uv:${version}"
if buildah inspect --type image "$name" >/dev/null 2>&1; then exit 0; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
  --dest "$work" "uv==${version}"
python3 -m zipfile -e "$work"/uv-*.whl "$work/wheel"
binary="$(find "$work/wheel" -path '*/scripts/uv' -type f | head -n 1)"
[ -n "$binary" ] || { echo "no uv binary in the wheel" >&2; exit 1; }
chmod +x "$binary"
ctr="$(buildah from scratch)"
buildah copy --quiet "$ctr" "$binary" /uv >/dev/null
buildah commit --quiet "$ctr" "$name" >/dev/null
buildah rm "$ctr" >/dev/null
echo "built the stand-in $name"
