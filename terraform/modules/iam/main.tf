# Identities and grants of a CAEC environment:
# - one GCP service account per workload (airflow, spark, dbt) plus ci; no keys are ever created
#   (GKE pods use Workload Identity, GitHub Actions uses Workload Identity Federation);
# - Workload Identity: exactly one KSA may impersonate each workload GSA;
# - the access policy of modules/names, applied grant by grant on the one resource it names
#   (non-authoritative *_iam_member resources, so nothing else's grants are removed).
locals {
  members = merge(var.external_members, { for k, sa in google_service_account.this : k => sa.member })

  # Persona grants without a configured group are skipped (the root requires all four groups).
  bindings = {
    for b in var.access_bindings : b.key => merge(b, {
      member = b.principal_kind == "persona" ? b.member : local.members[b.principal]
    }) if b.principal_kind != "persona" || b.member != null
  }

  by_type = {
    for t in ["bucket", "dataset", "project", "repository", "taxonomy", "policy_tag"] :
    t => { for k, b in local.bindings : k => b if b.resource_type == t }
  }
}

resource "google_service_account" "this" {
  for_each = var.service_accounts

  project      = var.project_id
  account_id   = each.value.account_id
  display_name = each.value.account_id
  description  = each.value.description
}

resource "google_service_account_iam_member" "workload_identity" {
  for_each = var.workload_identity

  service_account_id = google_service_account.this[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.workload_identity_pool}[${each.value.namespace}/${each.value.ksa}]"
}

resource "google_project_iam_member" "grant" {
  for_each = local.by_type["project"]

  project = var.project_id
  role    = each.value.role
  member  = each.value.member
}

resource "google_storage_bucket_iam_member" "grant" {
  for_each = local.by_type["bucket"]

  bucket = var.buckets[each.value.resource]
  role   = each.value.role
  member = each.value.member
}

resource "google_bigquery_dataset_iam_member" "grant" {
  for_each = local.by_type["dataset"]

  project    = var.project_id
  dataset_id = var.datasets[each.value.resource]
  role       = each.value.role
  member     = each.value.member
}

resource "google_artifact_registry_repository_iam_member" "grant" {
  for_each = local.by_type["repository"]

  project    = var.project_id
  location   = var.repository.location
  repository = var.repository.repository_id
  role       = each.value.role
  member     = each.value.member
}

resource "google_data_catalog_taxonomy_iam_member" "grant" {
  for_each = local.by_type["taxonomy"]

  taxonomy = var.taxonomy_id
  role     = each.value.role
  member   = each.value.member
}

resource "google_data_catalog_policy_tag_iam_member" "grant" {
  for_each = local.by_type["policy_tag"]

  policy_tag = var.policy_tag_ids[each.value.resource]
  role       = each.value.role
  member     = each.value.member
}
