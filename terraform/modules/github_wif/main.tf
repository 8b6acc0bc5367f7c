# GitHub Actions -> GCP without keys: the workflow's OIDC token is exchanged through this pool for a
# short-lived token of the CI service account. The provider's attribute_condition rejects tokens of any
# other repository (and, with allowed_refs, other refs), so no other GitHub workflow can get in even
# though the issuer is shared by all of GitHub.
locals {
  issuer               = "https://token.actions.githubusercontent.com"
  repository_condition = "assertion.repository == '${var.github_repository}'"
  # "refs/tags/v*" style entries match by prefix, others exactly.
  ref_tests     = [for r in var.allowed_refs : endswith(r, "*") ? "assertion.ref.startsWith('${trimsuffix(r, "*")}')" : "assertion.ref == '${r}'"]
  ref_condition = length(local.ref_tests) == 0 ? "" : " && (${join(" || ", local.ref_tests)})"
}

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = var.pool_id
  display_name              = var.pool_id
  description               = "GitHub Actions of ${var.github_repository}"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  #checkov:skip=CKV_GCP_125:The condition pins assertion.repository (plus refs when allowed_refs is set), Google's documented pattern for GitHub; checkov only recognises an `assertion.sub == 'repo:...'` form, whose exact value differs between push, pull_request and environment tokens.
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = var.provider_id
  display_name                       = "GitHub OIDC"
  description                        = "OIDC tokens of ${var.github_repository} workflows only."

  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
    "attribute.actor"      = "assertion.actor"
    "attribute.workflow"   = "assertion.workflow"
  }

  attribute_condition = "${local.repository_condition}${local.ref_condition}"

  oidc {
    issuer_uri = local.issuer
  }
}

# Only identities of this repository (the principalSet) may impersonate the CI service account.
resource "google_service_account_iam_member" "github" {
  service_account_id = var.service_account_name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository/${var.github_repository}"
}
