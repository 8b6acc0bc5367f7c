module "names" {
  source = "../modules/names"

  project_id        = var.project_id
  region            = var.region
  env               = var.env
  bigquery_location = var.bigquery_location
  persona_groups    = var.persona_groups
  retention_days    = var.retention_days
}
