# Every output of modules/platform under the same name: the GitHub variables (docs/ci.md), the deployment
# steps (terraform/README.md, docs/deployment.md) and `make helm-upgrade` read these names from an
# environment's state; a test checks none is missing.

output "platform" {
  description = "Every physical name the Helm chart and the DAG config consume (docs/platform-names.md); `make platform-values` writes the same object into helm/values/caec-platform/<env>.platform.yaml."
  value       = module.platform.platform
}

output "cluster_name" {
  description = "GKE cluster name (gcloud container clusters get-credentials NAME --region REGION)."
  value       = module.platform.cluster_name
}

output "spark_pool" {
  description = "Node selector and toleration that put Spark executors on the autoscaling (Spot) pool."
  value       = module.platform.spark_pool
}

output "github_workload_identity_provider" {
  description = "For google-github-actions/auth `workload_identity_provider` (a GitHub Actions variable, not a secret)."
  value       = module.platform.github_workload_identity_provider
}

output "ci_service_account" {
  description = "For google-github-actions/auth `service_account`."
  value       = module.platform.ci_service_account
}

output "pii_policy_tag_ids" {
  description = "Policy tag resource names by key; dbt puts them into column policy_tags (docs/governance.md)."
  value       = module.platform.pii_policy_tag_ids
}

output "audit_sink_writer_identity" {
  description = "Identity the audit-log sink writes into the audit dataset with."
  value       = module.platform.audit_sink_writer_identity
}

output "applied_grants" {
  description = "Keys of the access-policy grants applied (docs/governance.md lists them)."
  value       = module.platform.applied_grants
}

output "alert_policy_ids" {
  description = "Cloud Monitoring alert policies by key (task_failures, dq_gate_failures, spark_application_failures, freshness); docs/monitoring.md."
  value       = module.platform.alert_policy_ids
}

output "retention_days" {
  description = "Days kept per data layer (raw, staging, quarantine, marts, audit; 0 = keep): what the lifecycle rules and partition expiration apply, and what CAEC_RETENTION_DAYS carries to local runs (docs/privacy.md)."
  value       = module.platform.retention_days
}
