# The one root module of every environment: the google provider and one call of modules/platform, with
# every input passed straight through. What differs per environment is only values:
# envs/<env>/terraform.tfvars (inputs and policy: sizes, retention, protection, allowed Git refs) and
# envs/<env>/backend.gcs.tfbackend (the state prefix caec/<env>). `make tf-plan ENV=<env>` (and tf-init,
# tf-apply) pair the two, with the env's own .terraform directory (TF_DATA_DIR=envs/<env>/.terraform);
# see terraform/README.md.
provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = merge(var.labels, {
    app        = "caec"
    env        = var.env
    managed-by = "terraform"
  })
}

module "platform" {
  source = "../modules/platform"

  # Every input of modules/platform under its own name (a test checks that none is missing or renamed).
  # What every physical name derives from:
  env               = var.env
  project_id        = var.project_id
  region            = var.region
  bigquery_location = var.bigquery_location
  persona_groups    = var.persona_groups

  # Who may deploy and reach the cluster:
  github_repository          = var.github_repository
  github_allowed_refs        = var.github_allowed_refs
  master_authorized_networks = var.master_authorized_networks
  enable_private_endpoint    = var.enable_private_endpoint

  # Node pools:
  system_pool = var.system_pool
  spark_pool  = var.spark_pool

  # Retention and protection of the data:
  retention_days      = var.retention_days
  bucket_lifecycle    = var.bucket_lifecycle
  logs_retention_days = var.logs_retention_days
  deletion_protection = var.deletion_protection

  # Alerts:
  notification_channels       = var.notification_channels
  alert_emails                = var.alert_emails
  freshness_deadline_hour_utc = var.freshness_deadline_hour_utc
}
