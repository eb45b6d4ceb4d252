#!/usr/bin/env bash
# Tests the configuration in this directory against duo-emulator, as a CI job would: seed the
# account, apply, check the plan is empty, apply again under injected faults, and check what
# the emulator holds. Needs duo-emulator and terraform on PATH, and the provider installed
# (a filesystem mirror or dev_overrides, see the README).
set -euo pipefail
cd "$(dirname "$0")"

duo-emulator --listen 127.0.0.1:0 --seed seed.json --fault-seed 7 >emulator.out 2>emulator.err &
emulator=$!
trap 'kill $emulator 2>/dev/null' EXIT
for _ in $(seq 1 50); do grep -q '^listening on ' emulator.out && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' emulator.out)
export DUO_API_HOST=$addr DUO_IKEY=DIEMULATORDEMOKEY001 DUO_SKEY=emulatoremulatoremulatoremulatoremulator

terraform init -input=false >/dev/null
terraform apply -auto-approve -input=false
terraform plan -detailed-exitcode -input=false        # exit 2 would mean a perpetual diff

# Does the configuration survive a bad day at Duo? Start over, then apply under injected
# faults: an apply may fail with a clear error, and re-running it must converge.
terraform destroy -auto-approve -input=false
curl -fsS -d '429=0.05,503=0.05,drop=0.05' "$addr/_emulator/faults"
for attempt in 1 2 3; do
  terraform apply -auto-approve -input=false && break
  [ "$attempt" -lt 3 ] || exit 1
done
curl -fsS -d '' "$addr/_emulator/faults"
terraform plan -detailed-exitcode -input=false

# What the account holds, straight from the emulator.
curl -fsS "$addr/_emulator/tenant" | python3 -c '
import json, sys
t = json.load(sys.stdin)
bob = [u for u in t["users"] if u["username"] == "bob"]
assert len(bob) == 1, "exactly one bob"
assert [g["name"] for g in bob[0]["groups"]] == ["Engineering"], bob
print("emulator holds what the configuration says")'
curl -fsS "$addr/_emulator/stats"
