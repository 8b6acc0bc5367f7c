output "network_id" {
  description = "ID of the VPC (projects/PROJECT/global/networks/NAME)."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.this.name
}

output "network_self_link" {
  description = "Self link of the VPC (what GKE's network argument takes)."
  value       = google_compute_network.this.self_link
}

output "subnetwork_name" {
  description = "Name of the GKE subnet."
  value       = google_compute_subnetwork.this.name
}

output "subnetwork_self_link" {
  description = "Self link of the GKE subnet."
  value       = google_compute_subnetwork.this.self_link
}

output "pods_range_name" {
  description = "Name of the subnet's secondary range for Pods."
  value       = local.pods_range_name
}

output "services_range_name" {
  description = "Name of the subnet's secondary range for Services."
  value       = local.services_range_name
}
