"""Drives duo-emulator's MSP side with Duo's official Python client: the Accounts API
(`duo_client.Accounts`) and the Admin API on child accounts (`duo_client.admin.AccountAdmin`).

Usage: DUO_EMULATOR_PORT=... python3 official_accounts.py
(the emulator's demo Admin and Accounts key pairs, passed as DUO_EMULATOR_*)
Exits non-zero with a message on the first mismatch.
"""
import os
import sys

try:
    import duo_client
    from duo_client.admin import AccountAdmin
except ImportError:
    sys.exit("duo_client is not importable: `scripts/tool duo-client` prints a directory to put on PYTHONPATH")

PORT = int(os.environ["DUO_EMULATOR_PORT"])
HOST = "127.0.0.1"
IKEY, SKEY = os.environ["DUO_EMULATOR_IKEY"], os.environ["DUO_EMULATOR_SKEY"]
AIKEY, ASKEY = os.environ["DUO_EMULATOR_ACCOUNTS_IKEY"], os.environ["DUO_EMULATOR_ACCOUNTS_SKEY"]
KW = dict(ca_certs="HTTP", port=PORT)


def check(label, got, want):
    if got != want:
        sys.exit(f"{label}: got {got!r}, want {want!r}")


def refused(label, status, call):
    try:
        call()
    except RuntimeError as e:
        check(f"{label} status", getattr(e, "status", None), status)
        return
    sys.exit(f"{label}: was accepted")


def child(account_id, **kwargs):
    # The child's api_hostname is the emulator's own address; duo_client takes the port apart.
    return AccountAdmin(account_id, child_api_host=HOST, ikey=AIKEY, skey=ASKEY, host=HOST, **KW, **kwargs)


accounts = duo_client.Accounts(AIKEY, ASKEY, HOST, **KW)
acme = accounts.create_account("Acme")
globex = accounts.create_account("Globex")
check("create shape", sorted(acme), ["account_id", "api_hostname", "name"])
check("create name", acme["name"], "Acme")
check("api hostname", acme["api_hostname"], f"{HOST}:{PORT}")
listed = {a["account_id"]: a["name"] for a in accounts.get_child_accounts()}
check("list", listed, {acme["account_id"]: "Acme", globex["account_id"]: "Globex"})

# Each child is a tenant of its own: v5 JSON bodies and v2 form bodies both carry account_id.
a = child(acme["account_id"])
a.create_group("acme-ops")
check("child groups (v5)", [g["name"] for g in a.get_groups()], ["acme-ops"])
child(acme["account_id"], sig_version=2).create_group("acme-v2")
check("child groups (v2)", len(a.get_groups()), 2)
g = child(globex["account_id"])
check("other child empty", g.get_groups(), [])
parent = duo_client.Admin(IKEY, SKEY, HOST, **KW)
check("parent untouched", parent.get_groups(), [])

# Billing: the edition decides the policy sections, credits come from the parent's.
check("edition", a.get_edition(), {"edition": "ENTERPRISE"})
refused("a section above the edition", 400,
        lambda: a.create_policy_v2({"policy_name": "geo", "sections": {"user_location": {"default_action": "deny"}}}))
a.set_edition("PLATFORM")
check("edition set", a.get_edition(), {"edition": "PLATFORM"})
a.create_policy_v2({"policy_name": "geo", "sections": {"user_location": {"default_action": "deny"}}})
a.set_telephony_credits(1100)
check("credits", a.get_telephony_credits(), {"credits": 1100})
check("parent paid", parent.get_info_summary()["telephony_credits_remaining"], 900)
refused("more credits than the parent has", 400, lambda: g.set_telephony_credits(5000))
refused("the parent's own billing", 403, lambda: parent.json_api_call("POST", "/admin/v1/billing/edition", {"edition": "BEYOND"}))

# The wrong key for each API, and accounts that are not this parent's children.
refused("Accounts key on the parent's Admin API", 403,
        lambda: duo_client.Admin(AIKEY, ASKEY, HOST, **KW).get_groups())
refused("Admin key on the Accounts API", 403,
        lambda: duo_client.Accounts(IKEY, SKEY, HOST, **KW).get_child_accounts())
refused("unknown account", 400, lambda: child("DA" + "X" * 18).get_groups())

accounts.delete_account(acme["account_id"])
check("deleted", [x["account_id"] for x in accounts.get_child_accounts()], [globex["account_id"]])
refused("a deleted child", 400, lambda: a.get_groups())
print("official accounts client: ok")
