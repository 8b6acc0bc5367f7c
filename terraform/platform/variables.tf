# The subset of an env root's variables that names depend on; scripts/platform_values.py reads them from
# envs/<env>/terraform.tfvars, so the values file and the real deployment use the same inputs.
variable "project_id" {
  description = "GCP project of the environment (from envs/<env>/terraform.tfvars)."
  type        = string
}

variable "region" {
  description = "GCP region of the environment (from envs/<env>/terraform.tfvars)."
  type        = string
}

variable "env" {
  description = "Environment name (from envs/<env>/terraform.tfvars)."
  type        = string
}

variable "bigquery_location" {
  description = "BigQuery location (from envs/<env>/terraform.tfvars)."
  type        = string
  default     = "EU"
}

variable "persona_groups" {
  description = "Persona groups (from envs/<env>/terraform.tfvars); only used by the governance doc."
  type        = map(string)
  default     = {}
}

variable "retention_days" {
  description = "Days kept per layer: the env root's retention_days literal, else modules/platform's default (scripts/tfcontract.py reads them from the HCL). Typed by modules/names (one declaration of the layers). null: names only (governance doc, naming tests)."
  type        = any
  default     = null
}
