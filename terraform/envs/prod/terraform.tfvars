# The prod environment's values for the one root module terraform/root (its state: prefix caec/prod, see
# backend.gcs.tfbackend). Replace project_id, groups and repository with yours, then run
# `make platform-values ENV=prod` (the Helm values derive from this file) and commit both.
env               = "prod"
project_id        = "my-project-prod"
region            = "europe-west1"
bigquery_location = "EU"

persona_groups = {
  platform_engineer = "group:caec-platform-engineers@example.com"
  data_engineer     = "group:caec-data-engineers@example.com"
  analyst           = "group:caec-analysts@example.com"
  data_steward      = "group:caec-data-stewards@example.com"
}

github_repository = "example-org/caec"

master_authorized_networks = [
  { cidr_block = "203.0.113.0/24", display_name = "office VPN (example range)" },
]

# Who gets CAEC alerts (docs/monitoring.md): on-call addresses (email channels are created), and/or
# existing channels by resource name (Slack/PagerDuty channels are made in the console).
alert_emails          = ["caec-oncall-prod@example.com"]
notification_channels = []

# prod's policy. It keeps the modules' defaults for pools and modules/platform's retention_days (raw,
# staging and audit 400 days, quarantine 90, marts kept), bucket_lifecycle (logs locked 30 days) and
# logs (365).
# Only workflow runs on main and on release tags may authenticate from GitHub Actions.
github_allowed_refs = ["refs/heads/main", "refs/tags/v*"]
# Explicit although it is the module's default: a test checks prod never turns it off.
deletion_protection = true
