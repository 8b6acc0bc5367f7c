# BigQuery side of CAEC: three datasets in one location and the PII policy-tag taxonomy.
#   staging  external tables over the Spark Parquet in GCS and dbt staging views (visitor-level rows)
#   marts    dbt facts, dimensions and aggregates, incl. the data-quality mart agg_data_quality_daily
#   audit    Cloud Audit Logs routed by modules/audit_sink (who read or changed what)
# Access is not set here: the iam module applies the access policy from modules/names as
# google_bigquery_dataset_iam_member grants (non-authoritative, so the sink's writer grant coexists).
locals {
  descriptions = {
    staging = "CAEC staging: external tables over the Spark output and dbt staging views (visitor-level, PII-tagged columns)."
    marts   = "CAEC marts: facts, dimensions and aggregates for analysts and dashboards, incl. agg_data_quality_daily."
    audit   = "CAEC audit: Cloud Audit Logs (admin activity and data access) for data stewards."
  }
}

resource "google_bigquery_dataset" "this" {
  #checkov:skip=CKV_GCP_81:CMEK is optional (var.kms_key_name): the key's lifecycle belongs to the organisation's security project, so Google-managed encryption is the default.
  for_each = var.dataset_ids

  project                    = var.project_id
  dataset_id                 = each.value
  friendly_name              = each.value
  description                = local.descriptions[each.key]
  location                   = var.location
  delete_contents_on_destroy = var.delete_contents_on_destroy
  labels                     = merge(var.labels, { dataset = each.key })

  default_partition_expiration_ms = var.partition_expiration_days[each.key] > 0 ? var.partition_expiration_days[each.key] * 86400000 : null

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }
}

# Column-level security: columns tagged with these policy tags can only be read by principals holding
# roles/datacatalog.categoryFineGrainedReader on the tag (granted by the access policy); everyone else
# gets an access error on those columns and must select around them.
resource "google_data_catalog_taxonomy" "pii" {
  project                = var.project_id
  region                 = lower(var.location)
  display_name           = var.taxonomy_name
  description            = "Personal data in CAEC tables; dbt tags the columns, stewards grant readers."
  activated_policy_types = ["FINE_GRAINED_ACCESS_CONTROL"]
}

resource "google_data_catalog_policy_tag" "pii" {
  for_each = var.pii_policy_tags

  taxonomy     = google_data_catalog_taxonomy.pii.id
  display_name = each.key
  description  = each.value
}
