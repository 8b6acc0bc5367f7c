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
  description = "How pods reach the Spark pool, in Kubernetes spelling (nodeSelector, tolerations), read back from the node pool's labels and taints so modules/platform can check them against modules/names."
  value = {
    nodeSelector = { for k, _ in var.spark_pool_placement.nodeSelector : k => google_container_node_pool.spark.node_config[0].labels[k] }
    tolerations = [
      for t in google_container_node_pool.spark.node_config[0].taint : {
        key      = t.key
        operator = "Equal"
        value    = t.value
        effect   = local.k8s_taint_effects[t.effect]
      }
    ]
  }
}
