# A dedicated VPC for one CAEC environment: one regional subnet with secondary ranges for Pods and
# Services (VPC-native GKE), Private Google Access so private nodes reach GCS/BigQuery/Artifact Registry
# without public IPs, and Cloud NAT for the little egress that must leave Google (e.g. package mirrors).
locals {
  pods_range_name     = "pods"
  services_range_name = "services"
}

resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.network_name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
  description             = "CAEC VPC (GKE nodes, Pods and Services)."
}

resource "google_compute_subnetwork" "this" {
  project                    = var.project_id
  name                       = var.subnetwork_name
  region                     = var.region
  network                    = google_compute_network.this.id
  ip_cidr_range              = var.nodes_cidr
  private_ip_google_access   = true
  private_ipv6_google_access = "ENABLE_OUTBOUND_VM_ACCESS_TO_GOOGLE"

  secondary_ip_range {
    range_name    = local.pods_range_name
    ip_cidr_range = var.pods_cidr
  }

  secondary_ip_range {
    range_name    = local.services_range_name
    ip_cidr_range = var.services_cidr
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = var.flow_log_sampling
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_router" "this" {
  project = var.project_id
  name    = var.router_name
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  project                            = var.project_id
  name                               = var.nat_name
  region                             = var.region
  router                             = google_compute_router.this.name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.this.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Make the VPC's implied "deny all ingress" explicit and logged, so blocked traffic shows up in
# Firewall Rules Logging; the GKE-created rules and modules/gke's webhook rule take precedence.
resource "google_compute_firewall" "deny_all_ingress" {
  project     = var.project_id
  name        = "${var.network_name}-deny-all-ingress"
  network     = google_compute_network.this.id
  direction   = "INGRESS"
  priority    = 65534
  description = "Explicit, logged default deny of ingress into ${var.network_name}."

  source_ranges = ["0.0.0.0/0"]

  deny {
    protocol = "all"
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
