"""Drives duo-emulator with Duo's official Python client (duo_client), so the emulator is
checked against real clients' signing, not only against our own.

Usage: DUO_EMULATOR_PORT=... [DUO_EMULATOR_CA=ca.pem] python3 official_client.py
(ikey/skey: the emulator's demo pair)
Exits non-zero with a message on the first mismatch.
"""
import hashlib
import os
import sys

try:
    import duo_client
except ImportError:
    sys.exit("duo_client is not importable: `scripts/tool duo-client` prints a directory to put on PYTHONPATH")

PORT = int(os.environ["DUO_EMULATOR_PORT"])
# With DUO_EMULATOR_CA (an emulator started with --tls --tls-ca FILE): HTTPS, verified against
# that CA, as the client verifies Duo; otherwise plain HTTP.
# The client matches the certificate against DNS names only, so over HTTPS it uses "localhost".
CA_CERTS = os.environ.get("DUO_EMULATOR_CA") or "HTTP"
HOST = "localhost" if CA_CERTS != "HTTP" else "127.0.0.1"
IKEY = os.environ["DUO_EMULATOR_IKEY"]
SKEY = os.environ["DUO_EMULATOR_SKEY"]


def admin(**kwargs):
    return duo_client.Admin(IKEY, SKEY, HOST, ca_certs=CA_CERTS, port=PORT, **kwargs)


def check(label, got, want):
    if got != want:
        sys.exit(f"{label}: got {got!r}, want {want!r}")


# v5 with JSON bodies (duo_client's default), including a non-ASCII name.
v5 = admin()
created = v5.create_group("Ingeniería & Ops", desc="a b+c", status="active")
gid = created["group_id"]
check("v5 create", created["name"], "Ingeniería & Ops")
check("v5 get v2", v5.get_group(gid, api_version=2)["desc"], "a b+c")
v5.modify_group(gid, desc="changed", push_enabled=True)
check("v5 modify", v5.get_group(gid, api_version=2)["desc"], "changed")

# v2 canonical form with HMAC-SHA512 and with HMAC-SHA1, form-encoded bodies.
for digest in (hashlib.sha512, hashlib.sha1):
    v2 = admin(sig_version=2, digestmod=digest)
    g = v2.create_group(f"v2-{digest().name}")
    check(f"v2 {digest().name} get", v2.get_group(g["group_id"], api_version=2)["name"], f"v2-{digest().name}")

# Paging: 120 groups read back through the official iterator, which follows next_offset.
for i in range(117):
    v5.create_group(f"bulk-{i:03d}")
names = [g["name"] for g in admin(paging_limit=50).get_groups_generator()]
check("paged count", len(names), 120)

# A wrong secret key is refused with Duo's 401.
try:
    duo_client.Admin(IKEY, "x" * 40, HOST, ca_certs=CA_CERTS, port=PORT).get_groups(limit=1)
    sys.exit("a wrong skey was accepted")
except RuntimeError as e:
    check("wrong skey status", getattr(e, "status", None), 401)

v5.delete_group(gid)
print("official client: ok")
