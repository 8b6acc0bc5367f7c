# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id           = "my-project"
  pool_id              = "caec-dev-github"
  github_repository    = "example-org/caec"
  service_account_name = "projects/my-project/serviceAccounts/caec-ci-dev@my-project.iam.gserviceaccount.com"
}

run "only_this_repository_may_authenticate" {
  command = plan

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository == 'example-org/caec'"
    error_message = "The provider must reject tokens of other repositories."
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.oidc[0].issuer_uri == "https://token.actions.githubusercontent.com"
    error_message = "The provider must trust GitHub's OIDC issuer."
  }
}

run "refs_restrict_further" {
  command = plan

  variables {
    allowed_refs = ["refs/heads/main", "refs/tags/v*"]
  }

  assert {
    condition     = google_iam_workload_identity_pool_provider.github.attribute_condition == "assertion.repository == 'example-org/caec' && (assertion.ref == 'refs/heads/main' || assertion.ref.startsWith('refs/tags/v'))"
    error_message = "allowed_refs must narrow the condition (exact refs and prefixes)."
  }
}

run "repository_must_be_owner_slash_name" {
  command = plan

  variables {
    github_repository = "caec"
  }

  expect_failures = [var.github_repository]
}
