#!/usr/bin/env python3
"""Draws the benchmark charts from the JSON that `cargo bench --bench scale` writes
(target/bench/scale.json); several files may be given, their rows are read together:

- docs/benchmarks.png: API calls and wall time of a refresh of users, groups and memberships
  against tenant size, batched and naive side by side (rows of step "refresh");
- docs/benchmarks-whole.png: whole tenants of every type (rows of step "whole tenant: …"): the
  API calls of each step, batched, naive and one per object, and where the wall time of the
  same import and refresh goes when Terraform drives the provider and when the protocol is
  driven directly.

Needs matplotlib (python3 -m pip install matplotlib).
Usage: benches/chart.py [IN.json ...] [--out DIR]
(docs/benchmarks-whole.json holds the rows docs/benchmarks-whole.png was drawn from.)
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

args = sys.argv[1:]
out_dir = "docs"
if "--out" in args:
    i = args.index("--out")
    out_dir = args[i + 1]
    del args[i : i + 2]
sources = args or ["target/bench/scale.json"]
rows, scale = [], None
for src in sources:
    with open(src) as f:
        report = json.load(f)
    rows += report["rows"]
    scale = report["time_scale"]


def sizes_chart(rows):
    rows = [r for r in rows if r["step"] == "refresh"]
    if not rows:
        return
    fig, (calls_ax, time_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, color in (("naive", "#c0392b"), ("batched", "#2471a3")):
        picked = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["users"])
        users = [r["users"] for r in picked]
        calls_ax.plot(users, [r["calls"] for r in picked], "o-", color=color, label=mode)
        time_ax.plot(users, [r["wall_s"] for r in picked], "o-", color=color,
                     label=f"{mode}, measured (limits ×{scale:g})")
        time_ax.plot(users, [r["floor_at_duo_limits_s"] for r in picked], "o--", color=color,
                     alpha=0.6, label=f"{mode}, floor at Duo's limits")
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
    path = f"{out_dir}/benchmarks.png"
    fig.savefig(path, dpi=110)
    print(f"written: {path}")


def whole_chart(rows):
    rows = [r for r in rows if r["step"].startswith("whole tenant: ")]
    if not rows:
        return
    step = lambda r: r["step"].removeprefix("whole tenant: ")  # noqa: E731
    find = lambda users, name, mode: next(  # noqa: E731
        (r for r in rows if r["users"] == users and step(r).startswith(name) and r["mode"] == mode),
        None)
    sizes = sorted({r["users"] for r in rows})
    fig, (calls_ax, time_ax) = plt.subplots(1, 2, figsize=(12, 4.6))

    # API calls per step: batched (Terraform, or the protocol where Terraform did not run),
    # naive where measured.
    labels, batched, naive = [], [], []
    for users in sizes:
        for name in ("export", "import", "refresh", "add "):
            b = find(users, name, "batched") or find(users, name, "protocol") or find(users, name, "list")
            if not b:
                continue
            n = find(users, name, "naive")
            labels.append(f"{users:,}\n{step(b).split(',')[0][:14]}")
            batched.append(b["calls"])
            naive.append(n["calls"] if n else 0)
    x = range(len(labels))
    if any(naive):
        calls_ax.bar([i - 0.2 for i in x], batched, 0.4, color="#2471a3", label="batched")
        calls_ax.bar([i + 0.2 for i in x], naive, 0.4, color="#c0392b", label="naive (where measured)")
    else:
        calls_ax.bar(list(x), batched, 0.5, color="#2471a3", label="batched")
    calls_ax.set_xticks(list(x), labels, fontsize=7)
    calls_ax.set_yscale("log")
    calls_ax.set_ylim(bottom=10)
    calls_ax.set_ylabel("API calls")
    calls_ax.set_title("Whole tenant (every type): API calls per step")
    calls_ax.grid(True, axis="y", which="both", alpha=0.3)
    calls_ax.legend(fontsize=8)

    # Where the wall time goes: Terraform-driven against protocol-driven, and the provider's CPU.
    labels, terraform, protocol, cpu = [], [], [], []
    for users in sizes:
        for name in ("import", "refresh"):
            p = find(users, name, "protocol")
            t = find(users, name, "batched")
            if not p:
                continue
            labels.append(f"{users:,}\n{name}")
            terraform.append(t["wall_s"] if t else 0)
            protocol.append(p["wall_s"])
            cpu.append(t["provider_cpu_s"] if t else p["provider_cpu_s"])
    x = range(len(labels))
    time_ax.bar([i - 0.27 for i in x], terraform, 0.27, color="#7f8c8d", label="through Terraform")
    time_ax.bar(list(x), protocol, 0.27, color="#2471a3", label="protocol driven directly")
    time_ax.bar([i + 0.27 for i in x], cpu, 0.27, color="#27ae60", label="provider CPU (Terraform run)")
    time_ax.set_xticks(list(x), labels, fontsize=8)
    time_ax.set_ylabel("seconds")
    time_ax.set_title(f"Where the wall time goes (limits ×{scale:g})")
    time_ax.grid(True, axis="y", alpha=0.3)
    time_ax.legend(fontsize=8)
    fig.tight_layout()
    path = f"{out_dir}/benchmarks-whole.png"
    fig.savefig(path, dpi=110)
    print(f"written: {path}")


sizes_chart(rows)
whole_chart(rows)
