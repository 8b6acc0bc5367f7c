output "cluster_name" {
  description = "Name of the GKE cluster."
  value       = google_container_cluster.this.name
}

output "cluster_id" {
  description = "ID of the cluster (projects/PROJECT/locations/REGION/clusters/NAME)."
  value       = google_container_cluster.this.id
}

output "endpoint" {
  description = "Control-plane endpoint (private when enable_private_endpoint is true)."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "ca_certificate" {
  description = "Cluster CA certificate (base64), for kubeconfigs and the helm provider."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "workload_identity_pool" {
  description = "The cluster's Workload Identity pool (PROJECT.svc.id.goog). Depending on this output orders IAM bindings of KSAs after the pool exists."
  value       = google_container_cluster.this.workload_identity_config[0].workload_pool
}

output "node_service_account_email" {
  description = "Email of the node pools' service account."
  value       = google_service_account.nodes.email
}

output "node_service_account_member" {
  description = "IAM member of the node pools' service account (serviceAccount:EMAIL)."
  value       = google_service_account.nodes.member
}

output "spark_pool" {
  description = "How pods select the Spark pool: node label and the taint they must tolerate."
  value = {
    node_selector = local.spark_pool_label
    toleration    = { key = "caec.io/pool", operator = "Equal", value = "spark", effect = "NoSchedule" }
  }
}
