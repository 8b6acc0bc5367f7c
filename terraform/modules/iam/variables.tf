variable "project_id" {
  description = "GCP project of the service accounts and of project-level grants."
  type        = string
}

variable "service_accounts" {
  description = "GCP service accounts to create, by principal key (airflow, spark, dbt, ci): account_id (from modules/names) and a description of who uses it."
  type = map(object({
    account_id  = string
    description = string
  }))

  validation {
    condition     = alltrue([for k, sa in var.service_accounts : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", sa.account_id))])
    error_message = "Every account_id must be 6-30 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "workload_identity" {
  description = "Kubernetes service account allowed to impersonate each workload's GCP service account (same keys as service_accounts): namespace and ksa. One binding each, nothing else may impersonate them."
  type = map(object({
    namespace = string
    ksa       = string
  }))
}

variable "workload_identity_pool" {
  description = "The cluster's Workload Identity pool PROJECT.svc.id.goog (modules/gke output workload_identity_pool, so the bindings wait for the cluster that creates the pool)."
  type        = string

  validation {
    condition     = endswith(var.workload_identity_pool, ".svc.id.goog")
    error_message = "workload_identity_pool must be PROJECT.svc.id.goog."
  }
}

variable "external_members" {
  description = "IAM members of service accounts created elsewhere that the access policy names, by principal key (e.g. gke_nodes from modules/gke)."
  type        = map(string)
  default     = {}
}

variable "access_bindings" {
  description = "The access policy (modules/names output access_bindings): one object per grant. Persona grants whose member is null (no group configured) are not applied."
  type = list(object({
    key            = string
    principal      = string
    principal_kind = string
    member         = string
    resource_type  = string
    resource       = string
    resource_name  = string
    role           = string
    why            = string
  }))

  validation {
    condition     = alltrue([for b in var.access_bindings : contains(["bucket", "dataset", "project", "repository", "taxonomy", "policy_tag"], b.resource_type)])
    error_message = "resource_type must be one of bucket, dataset, project, repository, taxonomy, policy_tag."
  }

  validation {
    condition     = alltrue([for b in var.access_bindings : !contains(["roles/owner", "roles/editor", "roles/viewer"], b.role)])
    error_message = "Primitive roles (roles/owner, roles/editor, roles/viewer) are not allowed: grant a predefined role on the one resource that needs it."
  }

  validation {
    condition     = length(distinct([for b in var.access_bindings : b.key])) == length(var.access_bindings)
    error_message = "access_bindings keys must be unique."
  }
}

variable "buckets" {
  description = "Bucket names by logical key (modules/storage output names)."
  type        = map(string)
}

variable "datasets" {
  description = "Dataset ids by logical key (modules/bigquery output dataset_ids)."
  type        = map(string)
}

variable "repository" {
  description = "The Artifact Registry repository the `images` grants apply to (modules/artifact_registry outputs)."
  type = object({
    location      = string
    repository_id = string
  })
}

variable "taxonomy_id" {
  description = "Resource name of the PII taxonomy (modules/bigquery output taxonomy_id); the `pii` grants apply to it."
  type        = string
}

variable "policy_tag_ids" {
  description = "Resource names of the PII policy tags by key (modules/bigquery output policy_tag_ids)."
  type        = map(string)
}
