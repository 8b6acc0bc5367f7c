# Example values for the dev environment: replace project_id, groups and repository with yours, then
# run `make platform-values ENV=dev` (the Helm values derive from this file) and commit both.
project_id        = "my-project"
region            = "europe-west1"
env               = "dev"
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

# dev: small and cheap; throwaway-friendly.
spark_pool = {
  machine_type   = "n2-highmem-2"
  min_node_count = 0
  max_node_count = 3
  disk_size_gb   = 50
  spot           = true
}

bucket_retention = {
  raw        = { locked_days = 0, delete_after_days = 30, coldline_after_days = 0 }
  staging    = { locked_days = 0, delete_after_days = 30, coldline_after_days = 0 }
  quarantine = { locked_days = 0, delete_after_days = 30, coldline_after_days = 0 }
  logs       = { locked_days = 7, delete_after_days = 30, coldline_after_days = 0 }
}

partition_expiration_days = {
  staging = 30
  marts   = 90
  audit   = 90
}

deletion_protection = false
