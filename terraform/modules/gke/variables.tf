variable "project_id" {
  description = "GCP project of the cluster; also the Workload Identity pool PROJECT.svc.id.goog."
  type        = string
}

variable "region" {
  description = "Region of the (regional) cluster and its node pools."
  type        = string
}

variable "cluster_name" {
  description = "Name of the GKE cluster (from modules/names)."
  type        = string
}

variable "node_service_account_id" {
  description = "account_id of the node pools' own GCP service account (from modules/names); never the Compute Engine default account."
  type        = string
}

variable "network_self_link" {
  description = "Self link of the VPC (modules/network output network_self_link)."
  type        = string
}

variable "subnetwork_self_link" {
  description = "Self link of the subnet (modules/network output subnetwork_self_link)."
  type        = string
}

variable "pods_range_name" {
  description = "Name of the subnet's secondary range for Pods."
  type        = string
}

variable "services_range_name" {
  description = "Name of the subnet's secondary range for Services."
  type        = string
}

variable "master_ipv4_cidr_block" {
  description = "/28 range of the control plane's private endpoint (must not overlap the subnet ranges)."
  type        = string
  default     = "172.16.0.0/28"

  validation {
    condition     = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28")
    error_message = "master_ipv4_cidr_block must be a /28 IPv4 block such as 172.16.0.0/28."
  }
}

variable "enable_private_endpoint" {
  description = "Expose only the control plane's private endpoint. Then CI runners need a path into the VPC; with false, the public endpoint is limited to master_authorized_networks."
  type        = bool
  default     = false
}

variable "master_authorized_networks" {
  description = "CIDR blocks allowed to reach the control plane (office, VPN, CI egress). Empty means only the VPC."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []

  validation {
    condition     = alltrue([for n in var.master_authorized_networks : can(cidrhost(n.cidr_block, 0)) && n.cidr_block != "0.0.0.0/0"])
    error_message = "Every master_authorized_networks entry must be an IPv4 CIDR block, and 0.0.0.0/0 is not allowed."
  }
}

variable "release_channel" {
  description = "GKE release channel: the cluster and its nodes are upgraded automatically within it."
  type        = string
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "maintenance_start_time" {
  description = "Start of the daily maintenance window (RFC 3339 time, UTC); pick hours when the daily DAG is not running."
  type        = string
  default     = "2025-01-01T10:00:00Z"
}

variable "maintenance_end_time" {
  description = "End of the daily maintenance window (RFC 3339 time, UTC)."
  type        = string
  default     = "2025-01-01T16:00:00Z"
}

variable "system_pool" {
  description = "The system node pool: Airflow, the Spark Operator, the Spark driver and dbt pods. Node counts are per zone (a regional pool has nodes in each zone of the region)."
  nullable    = false
  type = object({
    machine_type   = string
    min_node_count = number
    max_node_count = number
    disk_size_gb   = number
  })
  default = {
    machine_type   = "e2-standard-4"
    min_node_count = 1
    max_node_count = 3
    disk_size_gb   = 50
  }

  validation {
    condition     = var.system_pool.min_node_count >= 1 && var.system_pool.max_node_count >= var.system_pool.min_node_count
    error_message = "system_pool needs min_node_count >= 1 (system pods must always have a node) and max_node_count >= min_node_count."
  }
}

variable "spark_pool" {
  description = "The autoscaling pool for Spark executors; tainted so only pods that tolerate caec.io/pool=spark:NoSchedule land on it. spot = true uses Spot VMs (executors are retried by Spark when a node is reclaimed). Node counts are per zone."
  nullable    = false
  type = object({
    machine_type   = string
    min_node_count = number
    max_node_count = number
    disk_size_gb   = number
    spot           = bool
  })
  default = {
    machine_type   = "n2-highmem-4"
    min_node_count = 0
    max_node_count = 6
    disk_size_gb   = 100
    spot           = true
  }

  validation {
    condition     = var.spark_pool.min_node_count >= 0 && var.spark_pool.max_node_count >= max(1, var.spark_pool.min_node_count)
    error_message = "spark_pool needs min_node_count >= 0 and max_node_count >= max(1, min_node_count)."
  }
}

variable "spark_pool_placement" {
  description = "Node selector and tolerations of Spark pods in Kubernetes spelling (modules/names output spark_pool): the Spark pool gets the selector as node labels and one taint per toleration."
  nullable    = false
  type = object({
    nodeSelector = map(string)
    tolerations = list(object({
      key      = string
      operator = string
      value    = string
      effect   = string
    }))
  })

  validation {
    condition     = length(var.spark_pool_placement.nodeSelector) > 0 && length(var.spark_pool_placement.tolerations) > 0
    error_message = "spark_pool_placement needs a nodeSelector and at least one toleration: an untainted Spark pool would take any pod."
  }

  validation {
    condition     = alltrue([for t in var.spark_pool_placement.tolerations : t.operator == "Equal" && contains(["NoSchedule", "PreferNoSchedule", "NoExecute"], t.effect) && t.key != "" && t.value != ""])
    error_message = "Each toleration must be operator Equal with a key, a value and effect NoSchedule, PreferNoSchedule or NoExecute (it becomes the pool's taint)."
  }
}

variable "webhook_ports" {
  description = "TCP ports on the nodes the control plane must reach for admission webhooks (the Spark Operator webhook listens on 9443); private clusters only open 443/10250 by default."
  type        = list(string)
  default     = ["9443"]
}

variable "deletion_protection" {
  description = "Refuse `terraform destroy` of the cluster (keep true outside throwaway environments)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels on the cluster and its nodes (cost attribution)."
  type        = map(string)
  default     = {}
}

variable "rbac_security_group" {
  description = "Optional gke-security-groups@DOMAIN group that enables Google Groups for RBAC (persona groups in Kubernetes RoleBindings); null leaves it off."
  type        = string
  default     = null

  validation {
    condition     = var.rbac_security_group == null || can(regex("^gke-security-groups@", var.rbac_security_group))
    error_message = "rbac_security_group must be named gke-security-groups@YOUR-DOMAIN (a GKE requirement)."
  }
}
