"""In-cluster smoke test run by `helm test caec-platform` as the Airflow KSA.

Why: rendering proves the manifests are valid; only the API server can prove the RBAC really grants
exactly what the DAG needs in the jobs namespace, and that the pipeline ConfigMap reaches Airflow pods.
Standard library + the kubernetes client of the caec-airflow image (cncf.kubernetes provider).
"""

from __future__ import annotations

import os
import sys

from kubernetes import client, config

REQUIRED_ENV = (
    "CAEC_MODE",
    "CAEC_ENV",
    "CAEC_RAW_URI",
    "CAEC_STAGING_URI",
    "CAEC_QUARANTINE_URI",
    "CAEC_DBT_TARGET",
    "CAEC_JOBS_NAMESPACE",
    "CAEC_SPARK_SERVICE_ACCOUNT",
    "CAEC_DBT_SERVICE_ACCOUNT",
    "CAEC_IMAGE_REPO",
    "CAEC_IMAGE_TAG",
)
# (group, resource, subresource, verb, expected)
CHECKS = [
    *[
        ("sparkoperator.k8s.io", "sparkapplications", "", v, True)
        for v in ("create", "get", "list", "watch", "delete")
    ],
    ("sparkoperator.k8s.io", "sparkapplications", "status", "get", True),
    *[("", "pods", "", v, True) for v in ("create", "get", "list", "watch", "delete")],
    ("", "pods", "log", "get", True),
    ("sparkoperator.k8s.io", "sparkapplications", "", "update", False),
    ("", "pods", "exec", "create", False),
    ("", "secrets", "", "get", False),
    ("", "configmaps", "", "list", False),
]


def main() -> int:
    missing = [k for k in REQUIRED_ENV if not os.environ.get(k)]
    if missing:
        print(f"FAIL: ConfigMap caec-pipeline-config not in the environment: missing {missing}")
        return 1
    namespace = os.environ["CAEC_JOBS_NAMESPACE"]
    config.load_incluster_config()
    api = client.AuthorizationV1Api()
    failures = 0
    for group, resource, sub, verb, expected in CHECKS:
        review = client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(
                    namespace=namespace, group=group, resource=resource, subresource=sub or None, verb=verb
                )
            )
        )
        allowed = bool(api.create_self_subject_access_review(review).status.allowed)
        ok = allowed == expected
        failures += not ok
        name = f"{resource}/{sub}" if sub else resource
        print(f"{'ok  ' if ok else 'FAIL'} {verb:6} {name:30} in {namespace}: allowed={allowed}")
    print(f"{len(CHECKS) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
