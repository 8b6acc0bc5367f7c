# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
# Plans a whole environment with envs/dev's inputs and checks that what the modules create carries the
# names of modules/names, i.e. the platform object committed in helm/values/caec-platform/dev.platform.yaml.
mock_provider "google" {}

# The same values as envs/dev/terraform.tfvars (its names inputs).
variables {
  project_id        = "my-project"
  region            = "europe-west1"
  env               = "dev"
  bigquery_location = "EU"
  github_repository = "example-org/caec"
  persona_groups = {
    platform_engineer = "group:caec-platform-engineers@example.com"
    data_engineer     = "group:caec-data-engineers@example.com"
    analyst           = "group:caec-analysts@example.com"
    data_steward      = "group:caec-data-stewards@example.com"
  }
}

run "created_names_match_the_names_contract" {
  command = plan

  assert {
    condition     = jsonencode(output.platform.buckets) == jsonencode(module.names.platform.buckets)
    error_message = "Bucket names created by modules/storage differ from modules/names."
  }

  assert {
    condition     = jsonencode(output.platform.datasets) == jsonencode(module.names.platform.datasets)
    error_message = "Dataset ids created by modules/bigquery differ from modules/names."
  }

  assert {
    condition     = output.platform.imageRepo == module.names.platform.imageRepo
    error_message = "The Artifact Registry path differs from modules/names."
  }

  assert {
    condition     = jsonencode({ for k, sa in output.platform.serviceAccounts : k => [sa.namespace, sa.name] }) == jsonencode({ for k, sa in module.names.platform.serviceAccounts : k => [sa.namespace, sa.name] })
    error_message = "The KSAs bound by modules/iam differ from modules/names."
  }

  assert {
    condition     = jsonencode(output.platform.sparkPool) == jsonencode(module.names.platform.sparkPool) && output.spark_pool.nodeSelector["caec.io/pool"] == "spark"
    error_message = "The Spark node pool's labels and taints (modules/gke) differ from the nodeSelector/tolerations Spark pods get from modules/names."
  }

  assert {
    condition     = jsonencode(module.iam.applied_grants) == jsonencode(sort([for b in module.names.access_bindings : b.key]))
    error_message = "Every grant of the access policy must be applied (all four persona groups are set)."
  }
}
