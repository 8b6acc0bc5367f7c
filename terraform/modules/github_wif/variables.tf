variable "project_id" {
  description = "GCP project of the Workload Identity pool."
  type        = string
}

variable "pool_id" {
  description = "Workload Identity pool id (modules/names output github_wif.pool_id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}[a-z0-9]$", var.pool_id))
    error_message = "pool_id must be 4-32 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "provider_id" {
  description = "Workload Identity pool provider id (modules/names output github_wif.provider_id)."
  type        = string
  default     = "github"
}

variable "github_repository" {
  description = "The only GitHub repository (OWNER/NAME) whose workflows may authenticate, e.g. my-org/caec."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be OWNER/NAME."
  }
}

variable "allowed_refs" {
  description = "Git refs whose workflow runs may authenticate, e.g. refs/heads/main; an entry ending in * matches by prefix (refs/tags/v*); empty allows every ref of the repository, pull requests included."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.allowed_refs : startswith(r, "refs/")])
    error_message = "allowed_refs entries must be full refs such as refs/heads/main."
  }
}

variable "service_account_name" {
  description = "Resource name (projects/P/serviceAccounts/EMAIL) of the CI service account the repository may impersonate (modules/iam output service_account_names[\"ci\"])."
  type        = string
}
