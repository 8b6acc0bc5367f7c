# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id      = "my-project"
  region          = "europe-west1"
  network_name    = "caec-dev"
  subnetwork_name = "caec-dev-europe-west1"
  router_name     = "caec-dev-router"
  nat_name        = "caec-dev-nat"
}

run "private_nodes_reach_google_without_public_ips" {
  command = plan

  assert {
    condition     = google_compute_subnetwork.this.private_ip_google_access && !google_compute_network.this.auto_create_subnetworks
    error_message = "The subnet needs Private Google Access in a custom-mode VPC."
  }

  assert {
    condition     = toset([for r in google_compute_subnetwork.this.secondary_ip_range : r.range_name]) == toset(["pods", "services"])
    error_message = "The subnet needs the pods and services secondary ranges (VPC-native GKE)."
  }

  assert {
    condition     = google_compute_router_nat.this.source_subnetwork_ip_ranges_to_nat == "LIST_OF_SUBNETWORKS"
    error_message = "Cloud NAT serves the GKE subnet only."
  }
}

run "rejects_a_bad_cidr" {
  command = plan

  variables {
    pods_cidr = "10.20.0.0"
  }

  expect_failures = [var.pods_cidr]
}
