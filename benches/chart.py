#!/usr/bin/env python3
"""Draws docs/benchmarks.png from target/bench/scale.json (written by `cargo bench --bench scale`):
API calls and wall time of a refresh against tenant size, batched and naive side by side.

Needs matplotlib (python3 -m pip install matplotlib). Usage: benches/chart.py [IN] [OUT]
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

src = sys.argv[1] if len(sys.argv) > 1 else "target/bench/scale.json"
out = sys.argv[2] if len(sys.argv) > 2 else "docs/benchmarks.png"
report = json.load(open(src))
rows = [r for r in report["rows"] if r["step"] == "refresh"]
scale = report["time_scale"]

fig, (calls_ax, time_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
for mode, color in (("naive", "#c0392b"), ("batched", "#2471a3")):
    picked = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["users"])
    users = [r["users"] for r in picked]
    calls_ax.plot(users, [r["calls"] for r in picked], "o-", color=color, label=mode)
    time_ax.plot(users, [r["wall_s"] for r in picked], "o-", color=color, label=f"{mode}, measured (limits ×{scale:g})")
    time_ax.plot(users, [r["floor_at_duo_limits_s"] for r in picked], "o--", color=color, alpha=0.6,
                 label=f"{mode}, floor at Duo's limits")

alone = sorted((r for r in rows if r["mode"] == "terraform alone"), key=lambda r: r["users"])
time_ax.plot([r["users"] for r in alone], [r["wall_s"] for r in alone], "s:", color="#555555",
             label="Terraform alone (terraform_data, same count)")

calls_ax.set_title("API calls to refresh users, groups (users/25) and memberships")
calls_ax.set_xlabel("users in state")
calls_ax.set_ylabel("API calls")
calls_ax.set_yscale("log")
calls_ax.grid(True, which="both", alpha=0.3)
calls_ax.legend()

time_ax.set_title("Wall time of terraform plan")
time_ax.set_xlabel("users in state")
time_ax.set_ylabel("seconds")
time_ax.set_yscale("symlog", linthresh=1)
time_ax.grid(True, which="both", alpha=0.3)
time_ax.legend(fontsize=8)

fig.tight_layout()
fig.savefig(out, dpi=110)
print(f"written: {out}")
