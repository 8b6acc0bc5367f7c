output "sink_name" {
  description = "Name of the log sink."
  value       = google_logging_project_sink.audit.name
}

output "writer_identity" {
  description = "Service identity the sink writes with (granted dataEditor on the audit dataset)."
  value       = google_logging_project_sink.audit.writer_identity
}

output "filter" {
  description = "The log filter of the sink."
  value       = google_logging_project_sink.audit.filter
}
