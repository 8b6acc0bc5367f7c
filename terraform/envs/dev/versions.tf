terraform {
  required_version = ">= 1.11"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.17"
    }
  }

  # State lives in a GCS bucket created once per project outside this root (bootstrap; see
  # terraform/README.md). The bucket is given at init time so the same code serves any project:
  #   terraform init -backend-config="bucket=<project>-tfstate"
  backend "gcs" {
    prefix = "caec/dev"
  }
}
