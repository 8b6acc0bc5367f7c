# A regional, private-node GKE cluster for CAEC: Workload Identity (every pod's KSA maps to its own GSA),
# Dataplane V2 (eBPF datapath with built-in NetworkPolicy enforcement: the chart's default-deny policies
# are enforced), shielded nodes with secure boot, a release channel, system + workload logging and
# managed Prometheus. Two pools: `system` (always on) and `spark` (autoscaling from zero, Spot-capable,
# tainted so only Spark executors land there).
locals {
  node_tags         = ["caec-gke-node", var.cluster_name]
  system_pool_label = { "caec.io/pool" = "system" }
  # Kubernetes taint effects (what pods tolerate) <-> the GKE API's spelling of the same effects.
  taint_effects     = { NoSchedule = "NO_SCHEDULE", PreferNoSchedule = "PREFER_NO_SCHEDULE", NoExecute = "NO_EXECUTE" }
  k8s_taint_effects = { for k8s, gke in local.taint_effects : gke => k8s }
}

# The nodes' own identity: GKE's minimal node role and image pulls only (granted through the access
# policy in modules/names). Pods never use it: Workload Identity gives each KSA its own GSA.
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = var.node_service_account_id
  display_name = "CAEC GKE nodes (${var.cluster_name})"
  description  = "Node VMs of ${var.cluster_name}: logs, metrics and image pulls only."
}

resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs the organisation's gke-security-groups@DOMAIN group; it is optional (var.rbac_security_group) because not every Workspace has it.
  #checkov:skip=CKV_GCP_12:Dataplane V2 (datapath_provider = ADVANCED_DATAPATH) enforces NetworkPolicy natively; the legacy network_policy block (Calico) must stay off with it.
  project  = var.project_id
  name     = var.cluster_name
  location = var.region

  network         = var.network_self_link
  subnetwork      = var.subnetwork_self_link
  networking_mode = "VPC_NATIVE"

  # Node pools are managed below; the default pool is removed right after creation.
  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = var.deletion_protection

  release_channel {
    channel = var.release_channel
  }

  # Dataplane V2: NetworkPolicy enforcement is built in (no Calico addon to enable).
  datapath_provider = "ADVANCED_DATAPATH"

  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = var.enable_private_endpoint
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block

    master_global_access_config {
      enabled = true
    }
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  enable_legacy_abac          = false

  # Google Groups for RBAC: Kubernetes RoleBindings may name the persona groups when the organisation
  # has the gke-security-groups group (optional; IAM roles from the access policy apply either way).
  dynamic "authenticator_groups_config" {
    for_each = var.rbac_security_group == null ? [] : [var.rbac_security_group]
    content {
      security_group = authenticator_groups_config.value
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  security_posture_config {
    mode               = "BASIC"
    vulnerability_mode = "VULNERABILITY_BASIC"
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]

    managed_prometheus {
      enabled = true
    }
  }

  maintenance_policy {
    recurring_window {
      start_time = var.maintenance_start_time
      end_time   = var.maintenance_end_time
      recurrence = "FREQ=DAILY"
    }
  }

  # Settings of the short-lived default pool; they matter only during creation but keep it hardened too.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type      = "COS_CONTAINERD"

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  resource_labels = merge(var.labels, { component = "caec" })
}

resource "google_container_node_pool" "system" {
  project  = var.project_id
  name     = "system"
  cluster  = google_container_cluster.this.id
  location = var.region

  initial_node_count = var.system_pool.min_node_count

  autoscaling {
    min_node_count = var.system_pool.min_node_count
    max_node_count = var.system_pool.max_node_count
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = var.system_pool.machine_type
    disk_size_gb    = var.system_pool.disk_size_gb
    disk_type       = "pd-balanced"
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = merge(var.labels, local.system_pool_label)
    tags            = local.node_tags

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }
}

resource "google_container_node_pool" "spark" {
  project  = var.project_id
  name     = "spark"
  cluster  = google_container_cluster.this.id
  location = var.region

  initial_node_count = var.spark_pool.min_node_count

  autoscaling {
    min_node_count  = var.spark_pool.min_node_count
    max_node_count  = var.spark_pool.max_node_count
    location_policy = "ANY"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = var.spark_pool.machine_type
    disk_size_gb    = var.spark_pool.disk_size_gb
    disk_type       = "pd-balanced"
    image_type      = "COS_CONTAINERD"
    spot            = var.spark_pool.spot
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = merge(var.labels, var.spark_pool_placement.nodeSelector)
    tags            = local.node_tags

    # One taint per toleration Spark pods carry (modules/names), so only they land on this pool.
    dynamic "taint" {
      for_each = var.spark_pool_placement.tolerations
      content {
        key    = taint.value.key
        value  = taint.value.value
        effect = local.taint_effects[taint.value.effect]
      }
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }
}

# Private clusters only let the control plane reach nodes on 443 and 10250; admission webhooks served
# from pods (the Spark Operator's) need their port opened from the control-plane range.
resource "google_compute_firewall" "webhooks" {
  project     = var.project_id
  name        = "${var.cluster_name}-control-plane-webhooks"
  network     = var.network_self_link
  direction   = "INGRESS"
  description = "Control plane -> node admission webhooks (Spark Operator) of ${var.cluster_name}."

  source_ranges = [var.master_ipv4_cidr_block]
  target_tags   = [var.cluster_name]

  allow {
    protocol = "tcp"
    ports    = var.webhook_ports
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
