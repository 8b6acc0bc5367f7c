# The prod environment: the provider, and modules/platform with what prod sets differently. Inputs a
# fork must change (project, groups, repository, networks) are in terraform.tfvars; the environment's
# policy is here, next to the module call, where a review sees it.
locals {
  # The env root's one constant: part of every physical name; scripts/tfcontract.py reads it from here.
  env = "prod"
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = merge(var.labels, {
    app        = "caec"
    env        = local.env
    managed-by = "terraform"
  })
}

module "platform" {
  source = "../../modules/platform"

  env                        = local.env
  project_id                 = var.project_id
  region                     = var.region
  bigquery_location          = var.bigquery_location
  persona_groups             = var.persona_groups
  github_repository          = var.github_repository
  master_authorized_networks = var.master_authorized_networks
  notification_channels      = var.notification_channels
  alert_emails               = var.alert_emails

  # prod keeps the modules' defaults for pools and modules/platform's retention_days (raw, staging and
  # audit 400 days, quarantine 90, marts kept), bucket_lifecycle (logs locked 30 days) and logs (365).

  # Only workflow runs on main and on release tags may authenticate from GitHub Actions.
  github_allowed_refs = ["refs/heads/main", "refs/tags/v*"]
  # Explicit although it is the module's default: a test checks prod never turns it off.
  deletion_protection = true
}
