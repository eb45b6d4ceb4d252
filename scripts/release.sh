#!/usr/bin/env bash
# Builds release archives in the layout the Terraform and OpenTofu registries read, into dist/
# (or DIST):
#
#   terraform-provider-duo_<version>_<os>_<arch>.zip   one per platform, holding
#                                                      terraform-provider-duo_v<version>[.exe]
#   terraform-provider-duo_<version>_manifest.json     a copy of terraform-registry-manifest.json
#   terraform-provider-duo_<version>_SHA256SUMS        sha256sum of every archive of this version
#                                                      in dist/ and of the manifest
#   terraform-provider-duo_<version>_SHA256SUMS.sig    detached binary GPG signature of the sums,
#                                                      with GPG_FINGERPRINT set (an RSA key, as
#                                                      both registries require)
#   duo-emulator_<version>_<os>_<arch>.zip             the emulator, duo-emulator[.exe], with
#   duo-emulator_<version>_SHA256SUMS[.sig]            its own sums and signature, so that the
#                                                      provider's sums list only what a
#                                                      registry expects
#
# Usage:
#   scripts/release.sh [RUST_TARGET ...]       build both binaries for each target (default: this
#                                              machine's) and package them
#   scripts/release.sh [--platform OS_ARCH] --binary PATH [--emulator-binary PATH]
#                                              package binaries already built, for this
#                                              machine's platform or OS_ARCH (e.g. darwin_arm64)
#   scripts/release.sh --sums-only             only (re)write and sign the sums over the archives
#                                              already in dist/ (the release workflow gathers the
#                                              platforms' archives from several runners, then
#                                              runs this)
# GPG_PASSPHRASE, when set, unlocks the signing key without a prompt (CI).
# Other targets must be installed (`rustup target add aarch64-unknown-linux-gnu`) and need their
# linker. The version is the one in Cargo.toml, which `terraform-provider-duo --version` reports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=${DIST:-$root/dist}
name=terraform-provider-duo
emulator=duo-emulator
version=$(cargo pkgid --manifest-path "$root/Cargo.toml" -p "$name" | sed 's/.*[#@]//')

# Terraform's os_arch for a Rust target triple.
platform() {
  case "$1" in
    x86_64-unknown-linux-*) echo linux_amd64 ;;
    aarch64-unknown-linux-*) echo linux_arm64 ;;
    x86_64-apple-darwin) echo darwin_amd64 ;;
    aarch64-apple-darwin) echo darwin_arm64 ;;
    x86_64-pc-windows-*) echo windows_amd64 ;;
    x86_64-unknown-freebsd) echo freebsd_amd64 ;;
    *) echo "unsupported target $1 (supported: linux, darwin and windows on amd64/arm64 as Terraform names them, freebsd_amd64)" >&2; exit 2 ;;
  esac
}

host=$(rustc -vV | sed -n 's/^host: //p')
binary= emulator_binary= sums_only= os_arch_given=
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --emulator-binary) emulator_binary=${2:?--emulator-binary needs a path}; shift 2 ;;
    --sums-only) sums_only=1; shift ;;
    --platform) os_arch_given=${2:?--platform needs an OS_ARCH such as linux_arm64}; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ -n "$binary$emulator_binary" ]; then
  [ ${#targets[@]} -eq 0 ] || { echo "--binary packages binaries already built; give no targets with it" >&2; exit 2; }
  targets=("$host")
elif [ -n "$os_arch_given" ]; then
  echo "--platform names the platform of binaries given with --binary" >&2; exit 2
fi
case "${os_arch_given:-linux_amd64}" in
  linux_amd64 | linux_arm64 | darwin_amd64 | darwin_arm64 | windows_amd64 | freebsd_amd64) ;;
  *) echo "unsupported platform $os_arch_given (supported: linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 freebsd_amd64)" >&2; exit 2 ;;
esac
[ ${#targets[@]} -gt 0 ] || targets=("$host")

# package PROGRAM BUILT_PATH OS_ARCH ARCHIVE_MEMBER: one zip, reproducible (-X: no extra fields).
package() {
  local program=$1 built=$2 os_arch=$3 member=$4
  local dir="$work/$program/$os_arch"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$built" "$dir/$member"
  local archive="${program}_${version}_$os_arch.zip"
  rm -f "$dist/$archive"
  if command -v zip >/dev/null 2>&1; then
    (cd "$dir" && zip -q -X "$dist/$archive" "$member")
  else
    # No zip(1): Python's zipfile, keeping the executable bit that Terraform's installer reads.
    python3 - "$dir/$member" "$dist/$archive" "$member" <<'PY'
import sys, time, zipfile
src, archive, member = sys.argv[1:4]
info = zipfile.ZipInfo(member, time.localtime()[:6])
info.external_attr = 0o100755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(archive, "w") as z:
    z.writestr(info, f.read())
PY
  fi
  echo "  $archive"
}

if [ -n "${GPG_FINGERPRINT:-}" ]; then
  # Both registries verify with RSA (or DSA) keys only; refuse others before signing anything.
  algo=$(gpg --batch --with-colons --list-secret-keys "$GPG_FINGERPRINT" 2>/dev/null | awk -F: '$1 == "sec" { print $4; exit }')
  case "$algo" in
    1) ;;
    "") echo "GPG_FINGERPRINT=$GPG_FINGERPRINT: gpg has no secret key with that fingerprint" >&2; exit 1 ;;
    *) echo "GPG_FINGERPRINT=$GPG_FINGERPRINT is not an RSA key (gpg algorithm $algo); the Terraform and OpenTofu registries verify RSA signatures" >&2; exit 1 ;;
  esac
fi
mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$sums_only" ]; then
  echo "packaging $name and $emulator $version into $dist:"
  for target in "${targets[@]}"; do
    os_arch=${os_arch_given:-$(platform "$target")}
    exe=
    case "$os_arch" in windows_*) exe=.exe ;; esac
    built=$binary built_emulator=$emulator_binary
    if [ -z "$binary$emulator_binary" ]; then
      cargo build --release --locked --manifest-path "$root/Cargo.toml" -p "$name" -p "$emulator" --bins --target "$target"
      built=$root/target/$target/release/$name$exe
      built_emulator=$root/target/$target/release/$emulator$exe
    fi
    [ -z "$built" ] || package "$name" "$built" "$os_arch" "${name}_v$version$exe"
    [ -z "$built_emulator" ] || package "$emulator" "$built_emulator" "$os_arch" "$emulator$exe"
  done
fi

# sums PROGRAM [EXTRA_FILE]: the sums over every archive of this version, signed when asked.
sums() {
  local program=$1 extra=${2:-}
  local sums_file="${program}_${version}_SHA256SUMS"
  local files
  files=$(cd "$dist" && ls -1 "${program}_${version}"_*.zip 2>/dev/null || true)
  if [ -z "$files" ]; then
    rm -f "$dist/$sums_file" "$dist/$sums_file.sig"
    return
  fi
  # shellcheck disable=SC2086 # one archive name per line, none with spaces
  (cd "$dist" && sha256sum $files $extra >"$sums_file")
  rm -f "$dist/$sums_file.sig"
  if [ -n "${GPG_FINGERPRINT:-}" ]; then
    local unlock=()
    [ -z "${GPG_PASSPHRASE:-}" ] || unlock=(--pinentry-mode loopback --passphrase-fd 0)
    gpg --batch --yes "${unlock[@]}" --local-user "$GPG_FINGERPRINT" --detach-sign \
      --output "$dist/$sums_file.sig" "$dist/$sums_file" <<<"${GPG_PASSPHRASE:-}"
  fi
  echo "  $sums_file${GPG_FINGERPRINT:+ and $sums_file.sig}"
}

cp "$root/terraform-registry-manifest.json" "$dist/${name}_${version}_manifest.json"
echo "checksums in $dist:"
sums "$name" "${name}_${version}_manifest.json"
sums "$emulator"
if [ -z "${GPG_FINGERPRINT:-}" ]; then
  echo "note: GPG_FINGERPRINT is not set, so the sums are not signed; a registry needs ${name}_${version}_SHA256SUMS.sig"
fi
