output "dataset_ids" {
  description = "Dataset ids by logical key (staging, marts, audit), read from the created datasets."
  value       = { for k, d in google_bigquery_dataset.this : k => d.dataset_id }
}

output "location" {
  description = "BigQuery location of the datasets."
  value       = var.location
}

output "taxonomy_id" {
  description = "Resource name of the PII taxonomy (projects/P/locations/L/taxonomies/ID)."
  value       = google_data_catalog_taxonomy.pii.id
}

output "policy_tag_ids" {
  description = "Resource names of the PII policy tags by key; dbt puts these into column policy_tags."
  value       = { for k, t in google_data_catalog_policy_tag.pii : k => t.id }
}
