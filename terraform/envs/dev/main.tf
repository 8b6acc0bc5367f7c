# The dev environment: the provider, and modules/platform with what dev sets differently. Inputs a fork
# must change (project, groups, repository, networks) are in terraform.tfvars; the environment's policy
# (sizes, retention, protection) is here, next to the module call, where a review sees it.
locals {
  # The env root's one constant: part of every physical name; scripts/tfcontract.py reads it from here.
  env = "dev"
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

  # dev: small and cheap; throwaway-friendly.
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
}
