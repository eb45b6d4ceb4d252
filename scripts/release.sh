#!/usr/bin/env bash
# Builds release archives in the Terraform Registry's layout, into dist/ (or DIST):
#
#   terraform-provider-duo_<version>_<os>_<arch>.zip   one per target, holding
#                                                      terraform-provider-duo_v<version>[.exe]
#   terraform-provider-duo_<version>_manifest.json     a copy of terraform-registry-manifest.json
#   terraform-provider-duo_<version>_SHA256SUMS        sha256sum of the files above
#
# Usage: scripts/release.sh [RUST_TARGET ...]   (default: this machine's target)
#        scripts/release.sh --binary PATH       package an already built binary for this machine
# Other targets must be installed first (`rustup target add aarch64-unknown-linux-gnu`) and
# need their linker. The version is the one in Cargo.toml, which `terraform-provider-duo
# --version` reports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=${DIST:-$root/dist}
name=terraform-provider-duo
version=$(cargo pkgid --manifest-path "$root/Cargo.toml" -p "$name" | sed 's/.*[#@]//')

# Terraform's os_arch for a Rust target triple.
platform() {
  case "$1" in
    x86_64-unknown-linux-*) echo linux_amd64 ;;
    aarch64-unknown-linux-*) echo linux_arm64 ;;
    x86_64-apple-darwin) echo darwin_amd64 ;;
    aarch64-apple-darwin) echo darwin_arm64 ;;
    x86_64-pc-windows-*) echo windows_amd64 ;;
    *) echo "unsupported target $1" >&2; exit 2 ;;
  esac
}

host=$(rustc -vV | sed -n 's/^host: //p')
binary=
if [ "${1:-}" = --binary ]; then
  binary=${2:?--binary needs a path}
  targets=("$host")
else
  targets=("${@:-$host}")
fi

mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
archives=()
for target in "${targets[@]}"; do
  os_arch=$(platform "$target")
  exe=
  case "$os_arch" in windows_*) exe=.exe ;; esac
  built=$binary
  if [ -z "$built" ]; then
    cargo build --release --locked --manifest-path "$root/Cargo.toml" --bin "$name" --target "$target"
    built=$root/target/$target/release/$name$exe
  fi
  rm -rf "$work/$os_arch" && mkdir -p "$work/$os_arch"
  cp "$built" "$work/$os_arch/${name}_v$version$exe"
  archive=${name}_${version}_$os_arch.zip
  rm -f "$dist/$archive"
  (cd "$work/$os_arch" && zip -q -X "$dist/$archive" "${name}_v$version$exe")
  archives+=("$archive")
done
cp "$root/terraform-registry-manifest.json" "$dist/${name}_${version}_manifest.json"
(cd "$dist" && sha256sum "${archives[@]}" "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")
echo "$dist:"
(cd "$dist" && ls -1 "${archives[@]}" "${name}_${version}_manifest.json" "${name}_${version}_SHA256SUMS")
