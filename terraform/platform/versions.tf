# A provider-free root: it evaluates modules/names alone, so `terraform init` + `terraform apply` work
# offline with a throwaway local state (scripts/platform_values.py runs it). It creates no resources.
terraform {
  required_version = ">= 1.11"
}
