terraform {
  required_providers {
    # The modules' pin (a test checks the root and every module use the same one).
    google = {
      source  = "hashicorp/google"
      version = "~> 7.17"
    }
  }
  required_version = ">= 1.11"

  # State lives in a GCS bucket created once per project outside this root (bootstrap; see
  # terraform/README.md), one prefix per environment: envs/<env>/backend.gcs.tfbackend sets
  # prefix = "caec/<env>" (where each environment's state has always been), the bucket is given at init:
  #   make tf-init ENV=<env> TF_STATE_BUCKET=<project>-tfstate
  backend "gcs" {}
}
