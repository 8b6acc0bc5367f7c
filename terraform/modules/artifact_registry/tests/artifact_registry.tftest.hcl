# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id    = "my-project"
  region        = "europe-west1"
  repository_id = "caec-dev"
}

run "docker_repo_with_immutable_tags" {
  command = plan

  assert {
    condition     = google_artifact_registry_repository.this.format == "DOCKER" && google_artifact_registry_repository.this.docker_config[0].immutable_tags
    error_message = "A Docker repository with immutable tags (images are tagged with the git sha)."
  }

  assert {
    condition     = output.image_repo == "europe-west1-docker.pkg.dev/my-project/caec-dev"
    error_message = "image_repo must be REGION-docker.pkg.dev/PROJECT/REPOSITORY."
  }
}
