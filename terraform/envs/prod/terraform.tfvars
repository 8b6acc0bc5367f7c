# Example inputs of the prod environment: replace project_id, groups and repository with yours, then run
# `make platform-values ENV=prod` (the Helm values derive from this file) and commit both. The env name
# and prod's policy (allowed Git refs, deletion protection) are in main.tf.
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
