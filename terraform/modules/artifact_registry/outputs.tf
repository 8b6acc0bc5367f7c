output "repository_id" {
  description = "Repository id."
  value       = google_artifact_registry_repository.this.repository_id
}

output "location" {
  description = "Repository location (region)."
  value       = google_artifact_registry_repository.this.location
}

output "image_repo" {
  description = "Docker path of the repository (REGION-docker.pkg.dev/PROJECT/REPOSITORY_ID), the platform object's imageRepo."
  value       = "${google_artifact_registry_repository.this.location}-docker.pkg.dev/${google_artifact_registry_repository.this.project}/${google_artifact_registry_repository.this.repository_id}"
}
