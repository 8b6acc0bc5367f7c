# The dev environment's values for the one root module terraform/root (its state: prefix caec/dev, see
# backend.gcs.tfbackend). Replace project_id, groups and repository with yours, then run
# `make platform-values ENV=dev` (the Helm values derive from this file) and commit both.
env               = "dev"
project_id        = "my-project"
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
alert_emails          = ["caec-oncall-dev@example.com"]
notification_channels = []

# dev's policy (everything else: modules/platform's defaults). Small and cheap; throwaway-friendly.
spark_pool = {
  machine_type   = "n2-highmem-2"
  min_node_count = 0
  max_node_count = 3
  disk_size_gb   = 50
  spot           = true
}

retention_days = {
  raw        = 30
  staging    = 30
  quarantine = 30
  marts      = 90
  audit      = 90
}

bucket_lifecycle = {
  raw        = { locked_days = 0, coldline_after_days = 0 }
  staging    = { locked_days = 0, coldline_after_days = 0 }
  quarantine = { locked_days = 0, coldline_after_days = 0 }
  logs       = { locked_days = 7, coldline_after_days = 0 }
}
logs_retention_days = 30

deletion_protection = false
