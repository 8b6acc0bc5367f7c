{{/* Chart name, truncated to the 63-character label limit. */}}
{{- define "caec-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name for objects that are not fixed by docs/platform-names.md. */}}
{{- define "caec-platform.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Common labels (Kubernetes recommended labels) on every object. */}}
{{- define "caec-platform.labels" -}}
app.kubernetes.io/name: {{ include "caec-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: caec
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
caec.dev/env: {{ .Values.platform.env | quote }}
{{- end -}}

{{/*
KSA name of a component (airflow | spark | dbt): the names come from the platform object, i.e. from
Terraform, which binds exactly these names to the GSAs with Workload Identity.
Usage: include "caec-platform.serviceAccountName" (list . "spark")
*/}}
{{- define "caec-platform.serviceAccountName" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- (index $root.Values.platform.serviceAccounts $component).name -}}
{{- end -}}

{{/* gs:// URI of a platform bucket. Usage: include "caec-platform.bucketUri" (list . "raw") */}}
{{- define "caec-platform.bucketUri" -}}
{{- $root := index . 0 -}}
{{- printf "gs://%s" (index $root.Values.platform.buckets (index . 1)) -}}
{{- end -}}

{{/* Data URI of a dataset root, by storage backend (GCS buckets or the shared volume). */}}
{{- define "caec-platform.dataUri" -}}
{{- $root := index . 0 -}}
{{- $what := index . 1 -}}
{{- if eq $root.Values.pipeline.storage "gcs" -}}
{{- include "caec-platform.bucketUri" (list $root $what) -}}
{{- else if eq $what "quarantine" -}}
{{- printf "%s/staging/quarantine" $root.Values.pipeline.dataDir -}}
{{- else -}}
{{- printf "%s/%s" $root.Values.pipeline.dataDir $what -}}
{{- end -}}
{{- end -}}

{{/* PodSecurity admission labels for a namespace. */}}
{{- define "caec-platform.podSecurityLabels" -}}
pod-security.kubernetes.io/enforce: {{ .Values.podSecurity.enforce }}
pod-security.kubernetes.io/enforce-version: {{ .Values.podSecurity.version }}
pod-security.kubernetes.io/audit: restricted
pod-security.kubernetes.io/audit-version: {{ .Values.podSecurity.version }}
pod-security.kubernetes.io/warn: restricted
pod-security.kubernetes.io/warn-version: {{ .Values.podSecurity.version }}
{{- end -}}

{{/* Image of the helm test pod: the caec-airflow image of this release's tag by default. */}}
{{- define "caec-platform.smokeTestImage" -}}
{{- default (printf "%s/caec-airflow:%s" .Values.platform.imageRepo .Values.pipeline.imageTag) .Values.smokeTest.image -}}
{{- end -}}
