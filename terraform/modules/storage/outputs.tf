output "names" {
  description = "Bucket names by logical key (raw, staging, quarantine, logs), read from the created buckets so dependants wait for them."
  value = merge(
    { for k, b in google_storage_bucket.data : k => b.name },
    { logs = google_storage_bucket.logs.name },
  )
}

output "urls" {
  description = "gs:// URLs of the buckets by logical key."
  value = merge(
    { for k, b in google_storage_bucket.data : k => b.url },
    { logs = google_storage_bucket.logs.url },
  )
}
