output "platform" {
  description = "The platform object of docs/platform-names.md: every physical name the Helm chart and the DAG config consume."
  value       = local.platform
}

output "namespaces" {
  description = "Kubernetes namespaces by role (airflow, jobs, sparkOperator)."
  value       = local.namespaces
}

output "workloads" {
  description = "Workloads that get their own GCP service account: namespace, KSA and description per key (airflow, spark, dbt)."
  value       = local.workloads
}

output "service_account_ids" {
  description = "account_id of every GCP service account (the workloads plus ci and gke_nodes)."
  value       = local.service_account_ids
}

output "service_account_emails" {
  description = "Email of every GCP service account, by the same keys as service_account_ids."
  value       = local.service_account_emails
}

output "workload_identity_pool" {
  description = "The GKE Workload Identity pool of the project (PROJECT.svc.id.goog)."
  value       = local.workload_identity_pool
}

output "workload_identity_members" {
  description = "IAM member of each workload's KSA (serviceAccount:PROJECT.svc.id.goog[NAMESPACE/KSA]), by workload key."
  value       = local.workload_identity_members
}

output "buckets" {
  description = "Bucket names by logical key (raw, staging, quarantine, logs)."
  value       = local.buckets
}

output "datasets" {
  description = "BigQuery dataset ids by logical key (staging, marts, audit)."
  value       = local.datasets
}

output "bigquery_location" {
  description = "BigQuery location of the datasets and the policy-tag taxonomy."
  value       = var.bigquery_location
}

output "artifact_repository_id" {
  description = "Artifact Registry repository id (the last path segment of image_repo)."
  value       = local.artifact_repository_id
}

output "image_repo" {
  description = "Docker registry path of our images: REGION-docker.pkg.dev/PROJECT/REPOSITORY."
  value       = local.image_repo
}

output "images" {
  description = "Image names pushed under image_repo."
  value       = local.images
}

output "network" {
  description = "Names of the VPC, its subnet, the Cloud Router and the Cloud NAT."
  value = {
    network    = local.network
    subnetwork = local.subnetwork
    router     = local.router
    nat        = local.nat
  }
}

output "cluster" {
  description = "GKE cluster name."
  value       = local.cluster
}

output "spark_pool" {
  description = "Node selector and tolerations (Kubernetes spelling) of the Spark node pool: modules/gke labels and taints the pool with them; Spark pods carry them."
  value       = local.spark_pool
}

output "pii_taxonomy" {
  description = "Display name of the Data Catalog policy-tag taxonomy for PII columns."
  value       = local.pii_taxonomy
}

output "pii_policy_tags" {
  description = "PII policy tags (key => description) created in the taxonomy."
  value       = local.pii_policy_tags
}

output "log_metrics" {
  description = "Names of the log-based metrics (task_failures, dq_gate_failures, spark_application_failures, days_published) that modules/monitoring alerts on."
  value       = local.log_metrics
}

output "audit_sink" {
  description = "Name of the project log sink that routes audit logs into the audit dataset."
  value       = local.audit_sink
}

output "github_wif" {
  description = "Workload Identity Federation pool and provider ids for GitHub Actions."
  value = {
    pool_id     = local.github_pool_id
    provider_id = local.github_provider_id
  }
}

output "access_bindings" {
  description = "The access policy as a flat list: key, principal, principal_kind (service_account|persona), member (null for a persona without a group), resource_type, resource, resource_name, role, why."
  value       = local.access_bindings
}
