# Every physical name of a CAEC environment, derived from (project_id, region, env) in one place.
# docs/platform-names.md is the contract these locals implement; terraform/root and the other modules take
# their names from here, and `make platform-values` writes the `platform` object into the Helm values.
locals {
  prefix = "caec"
  stem   = "${local.prefix}-${var.env}"

  # Kubernetes side: fixed names (the chart helm/caec-platform creates these namespaces and KSAs).
  namespaces = {
    airflow       = "caec-airflow"
    jobs          = "caec-jobs"
    sparkOperator = "spark-operator"
  }

  # One GCP service account per workload; its KSA is the only identity allowed to impersonate it.
  workloads = {
    airflow = { namespace = local.namespaces.airflow, ksa = "caec-airflow", description = "Airflow scheduler, workers, triggerer, API server and DAG processor" }
    spark   = { namespace = local.namespaces.jobs, ksa = "caec-spark", description = "Spark driver and executors of the sessionize SparkApplication" }
    dbt     = { namespace = local.namespaces.jobs, ksa = "caec-dbt", description = "dbt pods that build the BigQuery staging and marts models" }
  }

  service_account_ids = merge(
    { for k, _ in local.workloads : k => "${local.prefix}-${k}-${var.env}" },
    {
      ci        = "${local.prefix}-ci-${var.env}"        # GitHub Actions through Workload Identity Federation
      gke_nodes = "${local.prefix}-gke-nodes-${var.env}" # node VMs: logs, metrics, image pulls only
    },
  )
  service_account_emails = { for k, id in local.service_account_ids : k => "${id}@${var.project_id}.iam.gserviceaccount.com" }

  workload_identity_pool = "${var.project_id}.svc.id.goog"
  workload_identity_members = {
    for k, w in local.workloads : k => "serviceAccount:${local.workload_identity_pool}[${w.namespace}/${w.ksa}]"
  }

  buckets  = { for b in ["raw", "staging", "quarantine", "logs"] : b => "${var.project_id}-${local.stem}-${b}" }
  datasets = { for d in ["staging", "marts", "audit"] : d => "${local.prefix}_${var.env}_${d}" }

  artifact_repository_id = local.stem
  image_repo             = "${var.region}-docker.pkg.dev/${var.project_id}/${local.artifact_repository_id}"
  images                 = ["caec-spark", "caec-dbt", "caec-airflow"]

  network    = local.stem
  subnetwork = "${local.stem}-${var.region}"
  router     = "${local.stem}-router"
  nat        = "${local.stem}-nat"
  cluster    = local.stem

  pii_taxonomy = "${local.stem}-pii"

  # Log-based metrics of modules/monitoring (Cloud Logging metric names allow no "-"; the env keeps
  # dev's and prod's apart when both live in one project).
  log_metrics = {
    for m in ["task_failures", "dq_gate_failures", "spark_application_failures", "days_published"] :
    m => "${local.prefix}_${var.env}_${m}"
  }
  audit_sink = "${local.stem}-audit"

  github_pool_id     = "${local.stem}-github"
  github_provider_id = "github"

  # Where Spark pods run on GKE, in Kubernetes spelling: modules/gke labels and taints the Spark node pool
  # from this object, and the SparkApplication puts the same nodeSelector and tolerations on the driver and
  # executors (CAEC_SPARK_NODE_SELECTOR / CAEC_SPARK_TOLERATIONS). One definition, so they cannot drift.
  spark_pool = {
    nodeSelector = { "caec.io/pool" = "spark" }
    tolerations  = [{ key = "caec.io/pool", operator = "Equal", value = "spark", effect = "NoSchedule" }]
  }

  # The object the Helm chart and the DAG config consume (docs/platform-names.md, "The platform object").
  platform = {
    env        = var.env
    projectId  = var.project_id
    region     = var.region
    namespaces = local.namespaces
    serviceAccounts = {
      for k, w in local.workloads : k => { namespace = w.namespace, name = w.ksa, gsa = local.service_account_emails[k] }
    }
    buckets          = local.buckets
    datasets         = local.datasets
    bigqueryLocation = var.bigquery_location
    imageRepo        = local.image_repo
    sparkPool        = local.spark_pool
    # Not a name but the environment's retention policy (modules/platform retention_days): it travels
    # with the names so the chart's CAEC_RETENTION_DAYS is exactly what GCS and BigQuery apply.
    retentionDays = var.retention_days
  }
}
