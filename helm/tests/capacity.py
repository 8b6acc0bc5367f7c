"""Where pods can go: GKE node allocatable from Terraform's machine types, and the kind CI runner.

GKE allocatable follows GKE's documented reservation formula ("Standard cluster architecture ->
Node allocatable resources" / "Plan GKE node sizes": CPU and memory reservations of kubelet and the
OS, plus a 100 MiB eviction threshold):
  CPU:    6% of the first core, 1% of the next (up to 2), 0.5% of the next 2 (up to 4), 0.25% above 4;
  memory: 25% of the first 4 GiB, 20% of the next 4 GiB (up to 8), 10% of the next 8 GiB (up to 16),
          6% of the next 112 GiB (up to 128), 2% above 128 GiB (machines under 1 GiB: 255 MiB).
On top of that every node runs GKE's DaemonSets (kube-proxy or the Dataplane V2 agent, logging and
metrics agents, the Workload Identity metadata server, CSI node driver); their requests vary with the
GKE version and features, so we budget DAEMONSET_* per node (an assumption a cluster must confirm:
docs/deployment.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from helmlib import ROOT

# Machine shapes we use (Compute Engine machine-type tables: vCPUs, memory in GiB).
MACHINES: dict[str, tuple[int, int]] = {
    "e2-standard-2": (2, 8),
    "e2-standard-4": (4, 16),
    "e2-standard-8": (8, 32),
    "n2-standard-4": (4, 16),
    "n2-highmem-2": (2, 16),
    "n2-highmem-4": (4, 32),
    "n2-highmem-8": (8, 64),
}
EVICTION_MI = 100
DAEMONSET_CPU_M = 400
DAEMONSET_MEMORY_MI = 512
# The kind e2e runs on one GitHub-hosted ubuntu-24.04 runner (public repository: 4 vCPU, 16 GB), and the
# kind control plane on it requests (kubeadm's static pods + kind's CNI and CoreDNS): kube-apiserver
# 250m, kube-controller-manager 200m, kube-scheduler 100m, etcd 100m/100Mi, CoreDNS 2 x 100m/70Mi,
# kindnet 100m/50Mi.
RUNNER_CPU_M = 4000
RUNNER_MEMORY_MI = 16 * 1024
KIND_CONTROL_PLANE_CPU_M = 250 + 200 + 100 + 100 + 2 * 100 + 100
KIND_CONTROL_PLANE_MEMORY_MI = 100 + 2 * 70 + 50


@dataclass(frozen=True)
class Node:
    machine_type: str
    cpu_m: int
    memory_mi: int


def reserved_cpu_m(cores: int) -> float:
    """GKE's CPU reservation (millicores) for a machine with `cores` vCPUs."""
    tiers = [(1, 0.06), (1, 0.01), (2, 0.005), (float("inf"), 0.0025)]
    return _tiered(cores * 1000.0, [(size * 1000, rate) for size, rate in tiers])


def reserved_memory_mi(memory_gib: int) -> float:
    """GKE's memory reservation (MiB) for a machine with `memory_gib` GiB, eviction threshold excluded."""
    if memory_gib < 1:
        return 255.0
    tiers = [(4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (float("inf"), 0.02)]
    return _tiered(memory_gib * 1024.0, [(size * 1024, rate) for size, rate in tiers])


def _tiered(amount: float, tiers: list[tuple[float, float]]) -> float:
    reserved, left = 0.0, amount
    for size, rate in tiers:
        part = min(left, size)
        reserved += part * rate
        left -= part
        if left <= 0:
            break
    return reserved


def gke_allocatable(machine_type: str) -> Node:
    """Node allocatable per GKE's formula (rounded down), before DaemonSets."""
    cores, memory_gib = MACHINES[machine_type]
    cpu = int(cores * 1000 - reserved_cpu_m(cores))
    memory = int(memory_gib * 1024 - reserved_memory_mi(memory_gib) - EVICTION_MI)
    return Node(machine_type, cpu, memory)


def for_pods(node: Node) -> Node:
    """What is left on a node for our pods once GKE's DaemonSets are budgeted."""
    return Node(node.machine_type, node.cpu_m - DAEMONSET_CPU_M, node.memory_mi - DAEMONSET_MEMORY_MI)


def _braced(text: str, open_at: int) -> str:
    """The text of the `{ ... }` block whose `{` is at `open_at` (nested braces counted)."""
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[open_at : i + 1]
    raise ValueError("unbalanced braces")


def _pool_machine_type(text: str, pool: str) -> str | None:
    """The quoted machine_type of `<pool> = { ... }` (an env's tfvars) or `variable "<pool>" { ... }` (defaults)."""
    start = re.search(rf'(?m)^\s*(?:{pool}\s*=|variable\s+"{pool}")\s*\{{', text)
    if not start:
        return None
    found = re.search(r'machine_type\s*=\s*"([^"]+)"', _braced(text, start.end() - 1))
    return found.group(1) if found else None


def pool_machine_types(env: str, root: Path = ROOT) -> dict[str, str]:
    """{"system": ..., "spark": ...}: the env's terraform.tfvars override, else the gke module's default."""
    env_main = (root / "terraform" / "envs" / env / "terraform.tfvars").read_text()
    module_vars = (root / "terraform" / "modules" / "gke" / "variables.tf").read_text()
    types = {}
    for pool in ("system", "spark"):
        name = f"{pool}_pool"
        machine = _pool_machine_type(env_main, name) or _pool_machine_type(module_vars, name)
        assert machine, f"no machine_type for {name} in terraform/envs/{env} or modules/gke"
        types[pool] = machine
    return types
