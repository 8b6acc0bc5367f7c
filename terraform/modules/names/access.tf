# The access policy of a CAEC environment: who may do what on which resource, and why. It is data, not
# resources, so the iam module applies exactly this list and scripts/governance.py renders exactly this
# list into docs/governance.md (the access matrix). Least privilege: every grant names one bucket,
# dataset, repository or policy tag, except the few roles that only exist at project level (BigQuery
# jobs, GKE access, log reading); tests reject primitive roles (owner/editor/viewer) anywhere.
#
# resource_type: bucket | dataset | project | repository | taxonomy | policy_tag
# resource:      the logical key (buckets/datasets of main.tf, "project", "images", "pii", a tag key)
locals {
  # Policy tags of the PII taxonomy: dbt attaches them to the columns named here (BigQuery column-level
  # security); only principals with the fine-grained reader role on a tag can read its columns.
  pii_policy_tags = {
    pseudonymous_id = "Pseudonymous visitor and session keys (visitor_id, session_id): salted hashes that still single out one browser."
    raw_record      = "Raw log text and user agents (quarantine raw, user_agent): may hold clear IP addresses, URLs with personal data."
  }

  workload_access = {
    airflow = [
      { resource_type = "bucket", resource = "logs", role = "roles/storage.objectUser", why = "writes and reads remote task logs" },
      { resource_type = "bucket", resource = "raw", role = "roles/storage.objectViewer", why = "checks that a day's raw files arrived before the run starts" },
      { resource_type = "bucket", resource = "staging", role = "roles/storage.objectUser", why = "reads run manifests for the data-quality gate and writes the _published/ markers" },
    ]
    spark = [
      { resource_type = "bucket", resource = "raw", role = "roles/storage.objectViewer", why = "reads the raw click logs" },
      { resource_type = "bucket", resource = "staging", role = "roles/storage.objectUser", why = "writes events, sessions, manifests and the publish pointer; deletes versions garbage-collected after a newer one is published" },
      { resource_type = "bucket", resource = "quarantine", role = "roles/storage.objectUser", why = "writes rejected records with their reason (new versions; old ones garbage-collected)" },
    ]
    dbt = [
      { resource_type = "bucket", resource = "staging", role = "roles/storage.objectViewer", why = "BigQuery reads the external Parquet tables with dbt's credentials" },
      { resource_type = "bucket", resource = "quarantine", role = "roles/storage.objectViewer", why = "the data-quality mart counts quarantined records by reason" },
      { resource_type = "dataset", resource = "staging", role = "roles/bigquery.dataEditor", why = "creates the external tables and staging views" },
      { resource_type = "dataset", resource = "marts", role = "roles/bigquery.dataEditor", why = "builds the fact, dimension and aggregate tables" },
      { resource_type = "project", resource = "project", role = "roles/bigquery.jobUser", why = "runs query jobs (BigQuery jobs exist only at project level)" },
      { resource_type = "policy_tag", resource = "pseudonymous_id", role = "roles/datacatalog.categoryFineGrainedReader", why = "transforms the tagged visitor and session keys" },
      { resource_type = "policy_tag", resource = "raw_record", role = "roles/datacatalog.categoryFineGrainedReader", why = "reads user agents and quarantined raw text for the marts" },
    ]
    ci = [
      { resource_type = "repository", resource = "images", role = "roles/artifactregistry.writer", why = "GitHub Actions pushes the images tagged with the git sha" },
      { resource_type = "project", resource = "project", role = "roles/container.developer", why = "GitHub Actions runs helm upgrade of the three releases (deploy workflow)" },
    ]
    gke_nodes = [
      { resource_type = "project", resource = "project", role = "roles/container.defaultNodeServiceAccount", why = "node VMs write logs and metrics (GKE's minimal node role)" },
      { resource_type = "repository", resource = "images", role = "roles/artifactregistry.reader", why = "nodes pull our images" },
    ]
  }

  persona_access = {
    platform_engineer = [
      { resource_type = "project", resource = "project", role = "roles/container.admin", why = "operates the cluster: node pools, helm upgrades, incident response" },
      { resource_type = "project", resource = "project", role = "roles/logging.viewer", why = "reads cluster and workload logs" },
      { resource_type = "repository", resource = "images", role = "roles/artifactregistry.repoAdmin", why = "manages image tags and cleanup policies" },
      { resource_type = "bucket", resource = "logs", role = "roles/storage.objectViewer", why = "reads Airflow task logs" },
    ]
    data_engineer = [
      { resource_type = "project", resource = "project", role = "roles/container.developer", why = "triggers DAGs and inspects pipeline pods" },
      { resource_type = "project", resource = "project", role = "roles/bigquery.jobUser", why = "runs queries and dbt from a workstation" },
      { resource_type = "bucket", resource = "raw", role = "roles/storage.objectViewer", why = "inspects raw input" },
      { resource_type = "bucket", resource = "staging", role = "roles/storage.objectUser", why = "backfills and repairs staging partitions" },
      { resource_type = "bucket", resource = "quarantine", role = "roles/storage.objectViewer", why = "investigates rejected records" },
      { resource_type = "bucket", resource = "logs", role = "roles/storage.objectViewer", why = "reads Airflow task logs" },
      { resource_type = "dataset", resource = "staging", role = "roles/bigquery.dataEditor", why = "develops and backfills staging models" },
      { resource_type = "dataset", resource = "marts", role = "roles/bigquery.dataEditor", why = "develops and backfills marts" },
    ]
    analyst = [
      { resource_type = "project", resource = "project", role = "roles/bigquery.jobUser", why = "runs queries" },
      { resource_type = "dataset", resource = "marts", role = "roles/bigquery.dataViewer", why = "queries the marts and dashboards (PII-tagged columns are denied)" },
    ]
    data_steward = [
      { resource_type = "project", resource = "project", role = "roles/bigquery.jobUser", why = "queries the audit logs and the data-quality mart" },
      { resource_type = "project", resource = "project", role = "roles/iam.securityReviewer", why = "lists who holds which role (read-only IAM policies)" },
      { resource_type = "dataset", resource = "audit", role = "roles/bigquery.dataViewer", why = "audits data access through the audit-log sink" },
      { resource_type = "dataset", resource = "marts", role = "roles/bigquery.dataViewer", why = "reviews data quality (agg_data_quality_daily)" },
      { resource_type = "dataset", resource = "staging", role = "roles/bigquery.metadataViewer", why = "reviews staging schemas without reading rows" },
      { resource_type = "bucket", resource = "quarantine", role = "roles/storage.objectViewer", why = "reviews rejected records that may hold personal data" },
      { resource_type = "taxonomy", resource = "pii", role = "roles/datacatalog.policyTagAdmin", why = "maintains the PII classification (policy tags)" },
      { resource_type = "policy_tag", resource = "pseudonymous_id", role = "roles/datacatalog.categoryFineGrainedReader", why = "reads pseudonymous keys for investigations" },
      { resource_type = "policy_tag", resource = "raw_record", role = "roles/datacatalog.categoryFineGrainedReader", why = "reads raw records for investigations" },
    ]
  }

  # Physical name of each logical resource, for the governance doc and for checks.
  resource_names = {
    bucket     = local.buckets
    dataset    = local.datasets
    project    = { project = var.project_id }
    repository = { images = local.image_repo }
    taxonomy   = { pii = local.pii_taxonomy }
    policy_tag = { for k, _ in local.pii_policy_tags : k => "${local.pii_taxonomy}/${k}" }
  }

  # One flat list, one row per IAM grant; `key` is stable and unique (for_each key in the iam module).
  access_bindings = concat(
    flatten([
      for principal, grants in local.workload_access : [
        for g in grants : merge(g, {
          key            = "${principal}/${g.resource_type}/${g.resource}/${g.role}"
          principal      = principal
          principal_kind = "service_account"
          member         = "serviceAccount:${local.service_account_emails[principal]}"
          resource_name  = local.resource_names[g.resource_type][g.resource]
        })
      ]
    ]),
    flatten([
      for persona, grants in local.persona_access : [
        for g in grants : merge(g, {
          key            = "${persona}/${g.resource_type}/${g.resource}/${g.role}"
          principal      = persona
          principal_kind = "persona"
          member         = lookup(var.persona_groups, persona, null)
          resource_name  = local.resource_names[g.resource_type][g.resource]
        })
      ]
    ]),
  )
}
