#!/usr/bin/env bash
# Entrypoint of caec-spark, with the contract Spark on Kubernetes expects of an image (the same as
# apache/spark's entrypoint.sh; how it was checked: docs/images.md, "The Spark entrypoint contract"):
#   driver ARGS...  the driver pod: Spark's submission client (the Spark Operator's spark-submit) starts
#                   it with `driver --properties-file /opt/spark/conf/spark.properties --class <main>
#                   local:///opt/caec/spark/main.py <app args>` and SPARK_DRIVER_BIND_ADDRESS = the pod IP;
#                   we run spark-submit in client mode inside the pod.
#   executor        an executor pod: everything comes from SPARK_* variables set by the driver.
#   anything else   run as given (e.g. `python -m caec_spark ...`, `bash`).
set -euo pipefail

case "${1:-}" in
  driver)
    shift
    cmd=(
      "$SPARK_HOME/bin/spark-submit"
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS:?the driver pod sets SPARK_DRIVER_BIND_ADDRESS to its IP}"
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS}"
      --deploy-mode client
      "$@"
    )
    ;;
  executor)
    shift
    # Spark's configuration directory (the driver-mounted one if set), every jar, and the working
    # directory (SPARK-43540: files shipped with --files land there) on the classpath.
    classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:$SPARK_HOME/jars/*:$PWD"
    if [ -n "${SPARK_EXTRA_CLASSPATH:-}" ]; then classpath="$classpath:$SPARK_EXTRA_CLASSPATH"; fi
    if [ -n "${HADOOP_CONF_DIR:-}" ]; then classpath="$HADOOP_CONF_DIR:$classpath"; fi
    # The driver passes executor JVM options as SPARK_JAVA_OPT_0, SPARK_JAVA_OPT_1, ... (in order).
    java_opts=()
    for i in $(seq 0 1000); do
      var="SPARK_JAVA_OPT_$i"
      [ -n "${!var+x}" ] || break
      java_opts+=("${!var}")
    done
    cmd=(
      java "${java_opts[@]}"
      "-Xms${SPARK_EXECUTOR_MEMORY:?set by the driver}" "-Xmx${SPARK_EXECUTOR_MEMORY}"
      -cp "$classpath"
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend
      --driver-url "${SPARK_DRIVER_URL:?set by the driver}"
      --executor-id "${SPARK_EXECUTOR_ID:?set by the driver}"
      --cores "${SPARK_EXECUTOR_CORES:?set by the driver}"
      --app-id "${SPARK_APPLICATION_ID:?set by the driver}"
      --hostname "${SPARK_EXECUTOR_POD_IP:?set by the driver}"
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}"
      --podName "${SPARK_EXECUTOR_POD_NAME:-$HOSTNAME}"
    )
    ;;
  *)
    exec "$@"
    ;;
esac

# Spark processes run under tini (-s: also when tini is not PID 1) so signals reach the JVM and the Python
# workers are reaped.
exec /usr/bin/tini -s -- "${cmd[@]}"
