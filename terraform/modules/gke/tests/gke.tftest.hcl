# Needs the google provider schema (mock_provider): runs in GitHub CI via `make tf-test`.
mock_provider "google" {}

variables {
  project_id              = "my-project"
  region                  = "europe-west1"
  cluster_name            = "caec-dev"
  node_service_account_id = "caec-gke-nodes-dev"
  network_self_link       = "projects/my-project/global/networks/caec-dev"
  subnetwork_self_link    = "projects/my-project/regions/europe-west1/subnetworks/caec-dev-europe-west1"
  pods_range_name         = "pods"
  services_range_name     = "services"
  # = modules/names output spark_pool
  spark_pool_placement = {
    nodeSelector = { "caec.io/pool" = "spark" }
    tolerations  = [{ key = "caec.io/pool", operator = "Equal", value = "spark", effect = "NoSchedule" }]
  }
}

run "cluster_is_private_with_workload_identity" {
  command = plan

  assert {
    condition     = google_container_cluster.this.private_cluster_config[0].enable_private_nodes
    error_message = "Nodes must have private IPs only."
  }

  assert {
    condition     = google_container_cluster.this.workload_identity_config[0].workload_pool == "my-project.svc.id.goog"
    error_message = "Workload Identity must be on with the project's pool."
  }

  assert {
    condition     = google_container_cluster.this.datapath_provider == "ADVANCED_DATAPATH" && google_container_cluster.this.enable_shielded_nodes
    error_message = "Dataplane V2 and shielded nodes must be on."
  }

  assert {
    condition     = google_container_cluster.this.release_channel[0].channel == "REGULAR"
    error_message = "The cluster follows the REGULAR release channel by default."
  }
}

run "spark_pool_scales_from_zero_on_spot" {
  command = plan

  assert {
    condition     = google_container_node_pool.spark.autoscaling[0].min_node_count == 0 && google_container_node_pool.spark.node_config[0].spot
    error_message = "The Spark pool autoscales from zero on Spot VMs by default."
  }

  assert {
    condition     = google_container_node_pool.spark.node_config[0].taint[0].key == "caec.io/pool" && google_container_node_pool.spark.node_config[0].taint[0].effect == "NO_SCHEDULE"
    error_message = "Only pods tolerating caec.io/pool=spark may land on the Spark pool."
  }

  assert {
    condition     = google_container_node_pool.spark.node_config[0].labels["caec.io/pool"] == "spark" && jsonencode(output.spark_pool) == jsonencode(var.spark_pool_placement)
    error_message = "The Spark pool's labels and taints must be exactly the placement Spark pods carry (output spark_pool)."
  }

  assert {
    condition     = alltrue([for p in [google_container_node_pool.system, google_container_node_pool.spark] : p.node_config[0].workload_metadata_config[0].mode == "GKE_METADATA"])
    error_message = "Every pool must use the GKE metadata server (Workload Identity)."
  }
}

run "open_control_plane_is_rejected" {
  command = plan

  variables {
    master_authorized_networks = [{ cidr_block = "0.0.0.0/0", display_name = "everyone" }]
  }

  expect_failures = [var.master_authorized_networks]
}

run "untainted_spark_pool_is_rejected" {
  command = plan

  variables {
    spark_pool_placement = {
      nodeSelector = { "caec.io/pool" = "spark" }
      tolerations  = []
    }
  }

  expect_failures = [var.spark_pool_placement]
}
