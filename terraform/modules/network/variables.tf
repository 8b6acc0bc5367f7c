variable "project_id" {
  description = "GCP project that hosts the network."
  type        = string
}

variable "region" {
  description = "Region of the subnet, Cloud Router and Cloud NAT (the GKE cluster's region)."
  type        = string
}

variable "network_name" {
  description = "Name of the VPC (from modules/names)."
  type        = string
}

variable "subnetwork_name" {
  description = "Name of the regional subnet of the GKE nodes (from modules/names)."
  type        = string
}

variable "router_name" {
  description = "Name of the Cloud Router that carries Cloud NAT (from modules/names)."
  type        = string
}

variable "nat_name" {
  description = "Name of the Cloud NAT that gives private nodes egress (from modules/names)."
  type        = string
}

variable "nodes_cidr" {
  description = "Primary IPv4 range of the subnet (GKE node addresses)."
  type        = string
  default     = "10.10.0.0/20"

  validation {
    condition     = can(cidrhost(var.nodes_cidr, 0))
    error_message = "nodes_cidr must be an IPv4 CIDR block such as 10.10.0.0/20."
  }
}

variable "pods_cidr" {
  description = "Secondary range of the subnet for Pod IPs (VPC-native cluster)."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be an IPv4 CIDR block such as 10.20.0.0/16."
  }
}

variable "services_cidr" {
  description = "Secondary range of the subnet for Service ClusterIPs."
  type        = string
  default     = "10.30.0.0/20"

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be an IPv4 CIDR block such as 10.30.0.0/20."
  }
}

variable "flow_log_sampling" {
  description = "Share of VPC flow log samples kept (0 < x <= 1); flow logs support network forensics."
  type        = number
  default     = 0.5

  validation {
    condition     = var.flow_log_sampling > 0 && var.flow_log_sampling <= 1
    error_message = "flow_log_sampling must be in (0, 1]."
  }
}
