# Example values for the prod environment: replace project_id, groups and repository with yours, then
# run `make platform-values ENV=prod` (the Helm values derive from this file) and commit both.
project_id        = "my-project-prod"
region            = "europe-west1"
env               = "prod"
bigquery_location = "EU"

persona_groups = {
  platform_engineer = "group:caec-platform-engineers@example.com"
  data_engineer     = "group:caec-data-engineers@example.com"
  analyst           = "group:caec-analysts@example.com"
  data_steward      = "group:caec-data-stewards@example.com"
}

github_repository = "example-org/caec"
# prod: only workflow runs on main and on release tags may authenticate.
github_allowed_refs = ["refs/heads/main", "refs/tags/v*"]

master_authorized_networks = [
  { cidr_block = "203.0.113.0/24", display_name = "office VPN (example range)" },
]

# prod uses the modules' defaults for pools, bucket retention and partition expiration
# (raw 400 days, quarantine 90 days, logs locked 30 days; staging and audit partitions 400 days).
deletion_protection = true
