# State moves of the refactoring that put the composition into modules/platform: existing state keeps
# every resource (a plan shows "has moved to", nothing is destroyed). Stated once for every environment
# (each state under caec/<env> went through the same refactoring); remove this file once every
# environment has applied it; a test checks that it covers everything modules/platform declares.
moved {
  from = google_project_service.this
  to   = module.platform.google_project_service.this
}

moved {
  from = module.names
  to   = module.platform.module.names
}

moved {
  from = module.network
  to   = module.platform.module.network
}

moved {
  from = module.gke
  to   = module.platform.module.gke
}

moved {
  from = module.storage
  to   = module.platform.module.storage
}

moved {
  from = module.bigquery
  to   = module.platform.module.bigquery
}

moved {
  from = module.artifact_registry
  to   = module.platform.module.artifact_registry
}

moved {
  from = module.iam
  to   = module.platform.module.iam
}

moved {
  from = module.github_wif
  to   = module.platform.module.github_wif
}

moved {
  from = module.audit_sink
  to   = module.platform.module.audit_sink
}
