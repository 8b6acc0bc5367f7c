# Provider-free on purpose: this module only derives names, so `terraform apply` of a root that uses
# nothing but this module runs offline (no provider download). `make platform-values` relies on that.
terraform {
  required_version = ">= 1.11"
}
