output "service_account_emails" {
  description = "Email of each created GCP service account by principal key (airflow, spark, dbt, ci)."
  value       = { for k, sa in google_service_account.this : k => sa.email }
}

output "service_account_names" {
  description = "Resource name (projects/P/serviceAccounts/EMAIL) of each created service account, for impersonation grants."
  value       = { for k, sa in google_service_account.this : k => sa.name }
}

output "workload_identity_members" {
  description = "The KSA member bound to each workload GSA (serviceAccount:PROJECT.svc.id.goog[NS/KSA])."
  value       = { for k, b in google_service_account_iam_member.workload_identity : k => b.member }
}

output "service_accounts" {
  description = "KSA -> GSA mapping per workload, shaped like platform.serviceAccounts."
  value = {
    for k, w in var.workload_identity : k => {
      namespace = w.namespace
      name      = w.ksa
      gsa       = google_service_account.this[k].email
    }
  }
}

output "applied_grants" {
  description = "Keys of the access-policy grants applied (persona grants without a group are absent)."
  value       = sort(keys(local.bindings))
}
