# Runs offline (the module has no provider): `terraform test` in modules/names, part of make test-terraform.
variables {
  project_id = "my-project"
  region     = "europe-west1"
  env        = "dev"
  # Any days: the module carries modules/platform's retention_days, it states none of its own.
  retention_days = { raw = 1, staging = 2, quarantine = 3, marts = 4, audit = 0 }
}

run "names_follow_the_contract" {
  command = plan

  assert {
    condition     = output.platform.retentionDays == var.retention_days
    error_message = "The platform object must carry the retention days it is given (CAEC_RETENTION_DAYS)."
  }

  assert {
    condition     = output.log_metrics.days_published == "caec_dev_days_published" && length(output.log_metrics) == 4
    error_message = "Log-based metric names must be caec_<env>_<metric> (modules/monitoring alerts on them)."
  }

  assert {
    condition     = output.platform.buckets.raw == "my-project-caec-dev-raw" && output.platform.buckets.logs == "my-project-caec-dev-logs"
    error_message = "Bucket names must be <project>-caec-<env>-<bucket> (docs/platform-names.md)."
  }

  assert {
    condition     = output.platform.datasets.marts == "caec_dev_marts" && output.platform.datasets.audit == "caec_dev_audit"
    error_message = "Dataset ids must be caec_<env>_<dataset>."
  }

  assert {
    condition     = output.platform.serviceAccounts.spark.gsa == "caec-spark-dev@my-project.iam.gserviceaccount.com"
    error_message = "GSA emails must be caec-<workload>-<env>@<project>.iam.gserviceaccount.com."
  }

  assert {
    condition     = output.workload_identity_members.dbt == "serviceAccount:my-project.svc.id.goog[caec-jobs/caec-dbt]"
    error_message = "Workload Identity members must be serviceAccount:<project>.svc.id.goog[<namespace>/<ksa>]."
  }

  assert {
    condition     = output.platform.imageRepo == "europe-west1-docker.pkg.dev/my-project/caec-dev"
    error_message = "imageRepo must be <region>-docker.pkg.dev/<project>/caec-<env>."
  }

  assert {
    condition     = jsonencode(output.platform.sparkPool.nodeSelector) == jsonencode({ "caec.io/pool" = "spark" }) && output.platform.sparkPool.tolerations[0].key == "caec.io/pool" && output.platform.sparkPool.tolerations[0].value == "spark" && output.platform.sparkPool.tolerations[0].effect == "NoSchedule"
    error_message = "sparkPool must select caec.io/pool=spark and tolerate the pool's taint caec.io/pool=spark:NoSchedule."
  }

  assert {
    condition     = jsonencode(output.spark_pool) == jsonencode(output.platform.sparkPool)
    error_message = "Output spark_pool (modules/gke's node labels and taints) must be the platform object's sparkPool."
  }

  assert {
    condition     = alltrue([for id in values(output.service_account_ids) : length(id) >= 6 && length(id) <= 30])
    error_message = "Service-account ids must be 6-30 characters long."
  }

  assert {
    condition     = alltrue([for b in values(output.buckets) : length(b) <= 63])
    error_message = "Bucket names must be at most 63 characters long."
  }
}

run "access_policy_is_least_privilege" {
  command = plan

  variables {
    persona_groups = {
      analyst = "group:analysts@example.com"
    }
  }

  assert {
    condition     = length([for b in output.access_bindings : b if contains(["roles/owner", "roles/editor", "roles/viewer"], b.role)]) == 0
    error_message = "The access policy must not use primitive roles."
  }

  assert {
    condition     = length(distinct([for b in output.access_bindings : b.key])) == length(output.access_bindings)
    error_message = "Every grant needs a unique key."
  }

  assert {
    condition     = alltrue([for b in output.access_bindings : b.member == "group:analysts@example.com" if b.principal == "analyst"])
    error_message = "Persona grants must go to the persona's group."
  }

  assert {
    condition     = alltrue([for b in output.access_bindings : b.member == null if b.principal == "data_steward"])
    error_message = "A persona without a group must have no member (its grants are skipped)."
  }

  assert {
    condition     = length([for b in output.access_bindings : b if b.principal == "analyst" && b.resource_type == "bucket"]) == 0
    error_message = "Analysts read marts only: no bucket access."
  }
}

run "rejects_a_too_long_env" {
  command = plan

  variables {
    env = "development"
  }

  expect_failures = [var.env]
}

run "rejects_a_user_as_persona" {
  command = plan

  variables {
    persona_groups = {
      analyst = "user:someone@example.com"
    }
  }

  expect_failures = [var.persona_groups]
}
