output "platform" {
  description = "The platform object written into helm/values/caec-platform/<env>.platform.yaml."
  value       = module.names.platform
}

output "workload_identity_members" {
  description = "Workload Identity members by workload (for the KSA <-> binding tests)."
  value       = module.names.workload_identity_members
}

output "access_bindings" {
  description = "The expanded access policy (for docs/governance.md)."
  value       = module.names.access_bindings
}

output "pii_policy_tags" {
  description = "PII policy tags and their descriptions (for docs/governance.md)."
  value       = module.names.pii_policy_tags
}

output "service_account_emails" {
  description = "Emails of every GCP service account (for docs/governance.md)."
  value       = module.names.service_account_emails
}

output "audit_sink" {
  description = "Name of the audit-log sink (for docs/governance.md)."
  value       = module.names.audit_sink
}

output "pii_taxonomy" {
  description = "Display name of the PII taxonomy (for docs/governance.md)."
  value       = module.names.pii_taxonomy
}

output "spark_pool" {
  description = "Node selector and tolerations of Spark pods = the Spark pool's labels and taints (for the placement tests)."
  value       = module.names.spark_pool
}
