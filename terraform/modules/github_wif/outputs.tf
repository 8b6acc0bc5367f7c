output "provider_name" {
  description = "Full provider resource name for google-github-actions/auth `workload_identity_provider`."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "pool_name" {
  description = "Full resource name of the pool (projects/NUMBER/locations/global/workloadIdentityPools/ID)."
  value       = google_iam_workload_identity_pool.github.name
}

output "attribute_condition" {
  description = "The CEL condition every token must satisfy (repository, optionally refs)."
  value       = google_iam_workload_identity_pool_provider.github.attribute_condition
}
