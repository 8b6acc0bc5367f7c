# One CAEC environment: the modules wired together. Every physical name comes from modules/names (the
# contract in docs/platform-names.md); `make platform-values ENV=<env>` evaluates that module offline with
# the same inputs (envs/<env>/terraform.tfvars), so the chart and the deployment cannot disagree. The one
# root module (terraform/root) holds only the provider, the backend and one call of this module, to which
# it passes every value of an environment's tfvars; the google provider comes from it.
locals {
  apis = [
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "binaryauthorization.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "datacatalog.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
  ]
}

resource "google_project_service" "this" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# Retention is stated once (var.retention_days, per layer) and applied where the platform owns the data:
# GCS lifecycle deletion of the raw, staging and quarantine buckets, default partition expiration of
# the staging, marts and audit datasets. The logs bucket keeps its own (operational, not personal data).
locals {
  bucket_retention = {
    for bucket, lifecycle in var.bucket_lifecycle : bucket => merge(lifecycle, {
      delete_after_days = bucket == "logs" ? var.logs_retention_days : var.retention_days[bucket]
    })
  }
}

module "names" {
  source = "../names"

  project_id        = var.project_id
  region            = var.region
  env               = var.env
  bigquery_location = var.bigquery_location
  persona_groups    = var.persona_groups
  retention_days    = var.retention_days
}

module "network" {
  source     = "../network"
  depends_on = [google_project_service.this]

  project_id      = var.project_id
  region          = var.region
  network_name    = module.names.network.network
  subnetwork_name = module.names.network.subnetwork
  router_name     = module.names.network.router
  nat_name        = module.names.network.nat
}

module "gke" {
  source     = "../gke"
  depends_on = [google_project_service.this]

  project_id                 = var.project_id
  region                     = var.region
  cluster_name               = module.names.cluster
  node_service_account_id    = module.names.service_account_ids["gke_nodes"]
  network_self_link          = module.network.network_self_link
  subnetwork_self_link       = module.network.subnetwork_self_link
  pods_range_name            = module.network.pods_range_name
  services_range_name        = module.network.services_range_name
  master_authorized_networks = var.master_authorized_networks
  enable_private_endpoint    = var.enable_private_endpoint
  system_pool                = var.system_pool
  spark_pool                 = var.spark_pool
  spark_pool_placement       = module.names.spark_pool
  deletion_protection        = var.deletion_protection
  labels                     = { app = "caec", env = var.env }
}

module "storage" {
  source     = "../storage"
  depends_on = [google_project_service.this]

  project_id    = var.project_id
  location      = var.region
  bucket_names  = module.names.buckets
  retention     = local.bucket_retention
  force_destroy = !var.deletion_protection
}

module "bigquery" {
  source     = "../bigquery"
  depends_on = [google_project_service.this]

  project_id                 = var.project_id
  location                   = module.names.bigquery_location
  dataset_ids                = module.names.datasets
  partition_expiration_days  = { for layer in ["staging", "marts", "audit"] : layer => var.retention_days[layer] }
  taxonomy_name              = module.names.pii_taxonomy
  pii_policy_tags            = module.names.pii_policy_tags
  delete_contents_on_destroy = !var.deletion_protection
}

module "artifact_registry" {
  source     = "../artifact_registry"
  depends_on = [google_project_service.this]

  project_id    = var.project_id
  region        = var.region
  repository_id = module.names.artifact_repository_id
}

module "iam" {
  source     = "../iam"
  depends_on = [google_project_service.this]

  project_id = var.project_id
  service_accounts = merge(
    { for k, w in module.names.workloads : k => { account_id = module.names.service_account_ids[k], description = w.description } },
    { ci = { account_id = module.names.service_account_ids["ci"], description = "GitHub Actions of ${var.github_repository} (via Workload Identity Federation)" } },
  )
  workload_identity      = { for k, w in module.names.workloads : k => { namespace = w.namespace, ksa = w.ksa } }
  workload_identity_pool = module.gke.workload_identity_pool
  external_members       = { gke_nodes = module.gke.node_service_account_member }
  access_bindings        = module.names.access_bindings
  buckets                = module.storage.names
  datasets               = module.bigquery.dataset_ids
  repository             = { location = module.artifact_registry.location, repository_id = module.artifact_registry.repository_id }
  taxonomy_id            = module.bigquery.taxonomy_id
  policy_tag_ids         = module.bigquery.policy_tag_ids
}

module "github_wif" {
  source     = "../github_wif"
  depends_on = [google_project_service.this]

  project_id           = var.project_id
  pool_id              = module.names.github_wif.pool_id
  provider_id          = module.names.github_wif.provider_id
  github_repository    = var.github_repository
  allowed_refs         = var.github_allowed_refs
  service_account_name = module.iam.service_account_names["ci"]
}

module "audit_sink" {
  source     = "../audit_sink"
  depends_on = [google_project_service.this]

  project_id       = var.project_id
  sink_name        = module.names.audit_sink
  audit_dataset_id = module.bigquery.dataset_ids["audit"]
}

module "monitoring" {
  source     = "../monitoring"
  depends_on = [google_project_service.this]

  project_id                  = var.project_id
  env                         = var.env
  metric_names                = module.names.log_metrics
  airflow_namespace           = module.names.namespaces.airflow
  jobs_namespace              = module.names.namespaces.jobs
  notification_channels       = var.notification_channels
  alert_emails                = var.alert_emails
  freshness_deadline_hour_utc = var.freshness_deadline_hour_utc
  labels                      = { app = "caec", env = var.env }
}

locals {
  # The platform object rebuilt from what the modules created (not from the names module), so the
  # check below proves the deployed names are the contract's names.
  platform = {
    env              = var.env
    projectId        = var.project_id
    region           = var.region
    namespaces       = module.names.namespaces
    serviceAccounts  = module.iam.service_accounts
    buckets          = module.storage.names
    datasets         = module.bigquery.dataset_ids
    bigqueryLocation = module.bigquery.location
    imageRepo        = module.artifact_registry.image_repo
    sparkPool        = module.gke.spark_pool
    # The policy input itself: the storage and bigquery modules apply it (bucket_retention and
    # partition_expiration_days above) but export no per-layer days to rebuild it from.
    retentionDays = var.retention_days
  }
}

check "platform_matches_names_contract" {
  assert {
    condition     = jsonencode(local.platform) == jsonencode(module.names.platform)
    error_message = "The created resources' names differ from modules/names (the platform object in the Helm values): fix the module that renamed something."
  }
}
