"""Pod and container security settings shared by the Spark driver/executors and the dbt pod.

The jobs namespace carries the PodSecurity ``restricted`` label (helm/caec-platform), so every pod we
create must be non-root, drop all capabilities, forbid privilege escalation and use the runtime's
default seccomp profile, or the API server rejects it. Plain dicts (Kubernetes field names) keep this
module import-free; ``k8s_operators`` turns them into client models for the KubernetesPodOperator.
"""

from __future__ import annotations

from typing import Any

# The official apache/spark images run as user `spark` (uid 185); images/dbt uses uid 1000 (non-root).
SPARK_UID = 185
DBT_UID = 1000


def pod_security_context(uid: int) -> dict[str, Any]:
    """Pod-level context: non-root user/group, group-owned volumes, RuntimeDefault seccomp."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(uid: int) -> dict[str, Any]:
    """Container-level context: what PodSecurity ``restricted`` checks on every container."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
