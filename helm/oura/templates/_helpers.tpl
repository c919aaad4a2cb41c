{{/*
Names. The chart's objects are "<fullname>-<component>"; with the release named "oura" that is
"oura-query-api", "oura-backfill-worker", … (the names docs/operations.md uses).
*/}}
{{- define "oura.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "oura.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-<component>", cut so the longest suffix Kubernetes adds (a CronJob's job name) still fits. */}}
{{- define "oura.componentName" -}}
{{- printf "%s-%s" (include "oura.fullname" .root) .component | trunc 52 | trimSuffix "-" }}
{{- end }}

{{- define "oura.ingestWebhook.fullname" -}}{{ include "oura.componentName" (dict "root" . "component" "ingest-webhook") }}{{- end }}
{{- define "oura.queryApi.fullname" -}}{{ include "oura.componentName" (dict "root" . "component" "query-api") }}{{- end }}
{{- define "oura.backfillWorker.fullname" -}}{{ include "oura.componentName" (dict "root" . "component" "backfill-worker") }}{{- end }}
{{- define "oura.poller.fullname" -}}{{ include "oura.componentName" (dict "root" . "component" "poller") }}{{- end }}
{{- define "oura.migrate.fullname" -}}{{ include "oura.componentName" (dict "root" . "component" "migrate") }}{{- end }}
{{- define "oura.backup.fullname" -}}{{ include "oura.componentName" (dict "root" . "component" "backup") }}{{- end }}

{{- define "oura.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: what a Service, PDB or NetworkPolicy picks pods by; never changes across upgrades. */}}
{{- define "oura.selectorLabels" -}}
app.kubernetes.io/name: {{ include "oura.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Every object's labels: the selector labels plus the chart's. */}}
{{- define "oura.labels" -}}
helm.sh/chart: {{ include "oura.chart" .root }}
{{ include "oura.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: oura
{{- end }}

{{- define "oura.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "oura.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "oura.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret every workload reads its secrets from, whichever source made it. */}}
{{- define "oura.secretName" -}}
{{- if eq .Values.secrets.source "existingSecret" }}
{{- required "secrets.existingSecret.name is required when secrets.source is existingSecret" .Values.secrets.existingSecret.name }}
{{- else }}
{{- printf "%s-secrets" (include "oura.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The secret keys (file names under /var/run/secrets/oura) and the variable each one feeds through
its _FILE form. Each workload mounts only the keys it needs.
*/}}
{{- define "oura.secretEnvNames" -}}
database-url: OURA_DATABASE_URL_FILE
migrate-database-url: OURA_DATABASE_URL_FILE
client-id: OURA_CLIENT_ID_FILE
client-secret: OURA_CLIENT_SECRET_FILE
token-encryption-keys: OURA_TOKEN_ENCRYPTION_KEYS_FILE
webhook-verification-token: OURA_WEBHOOK_VERIFICATION_TOKEN_FILE
query-read-tokens: OURA_QUERY_READ_TOKENS_FILE
query-admin-tokens: OURA_QUERY_ADMIN_TOKENS_FILE
{{- end }}

{{/* env entries for the secret keys in .keys: NAME_FILE=/var/run/secrets/oura/<key>. */}}
{{- define "oura.secretEnv" -}}
{{- $names := include "oura.secretEnvNames" . | fromYaml }}
{{- range .keys }}
- name: {{ index $names . }}
  value: /var/run/secrets/oura/{{ . }}
{{- end }}
{{- end }}

{{/* The secret volume with only the keys in .keys, readable by the container user alone. */}}
{{- define "oura.secretVolume" -}}
- name: secrets
  secret:
    secretName: {{ include "oura.secretName" .root }}
    defaultMode: 0400
    items:
    {{- range .keys }}
      - key: {{ . }}
        path: {{ . }}
    {{- end }}
{{- end }}

{{/* The public origin of the edge: config.publicUrl, else the edge Ingress's host; empty when neither. */}}
{{- define "oura.publicUrl" -}}
{{- if .Values.config.publicUrl }}
{{- .Values.config.publicUrl }}
{{- else if and .Values.ingestWebhook.enabled .Values.ingestWebhook.ingress.enabled .Values.ingestWebhook.ingress.host }}
{{- printf "https://%s" .Values.ingestWebhook.ingress.host }}
{{- end }}
{{- end }}

{{/* Where Oura calls us, for the binaries that create subscriptions or start the OAuth flow. */}}
{{- define "oura.publicEnv" -}}
{{- with include "oura.publicUrl" . }}
- name: OURA_WEBHOOK_CALLBACK_URL
  value: {{ printf "%s/webhook/oura" . | quote }}
- name: OURA_OAUTH_REDIRECT_URI
  value: {{ printf "%s/oauth/callback" . | quote }}
{{- end }}
{{- end }}

{{/* Settings every binary shares (docs/configuration.md). */}}
{{- define "oura.commonEnv" -}}
- name: OURA_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: OURA_API_BASE_URL
  value: {{ .Values.config.apiBaseUrl | quote }}
- name: OURA_AUTH_BASE_URL
  value: {{ .Values.config.authBaseUrl | quote }}
- name: OURA_HTTP_TIMEOUT
  value: {{ .Values.config.httpTimeout | quote }}
{{- end }}

{{/* What every daemon's runtime (libs/service) reads. */}}
{{- define "oura.daemonEnv" -}}
- name: OURA_HTTP_PORT
  value: {{ .root.Values.config.httpPort | quote }}
- name: OURA_HTTP_IO_THREADS
  value: {{ .values.ioThreads | quote }}
- name: OURA_HTTP_HANDLER_THREADS
  value: {{ .values.handlerThreads | quote }}
- name: OURA_SHUTDOWN_GRACE_SECONDS
  value: {{ .values.shutdownGraceSeconds | quote }}
{{- end }}

{{/* Extra variables: the chart-wide ones, then the component's, which win by coming last. */}}
{{- define "oura.extraEnv" -}}
{{- with .root.Values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "oura.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "oura.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Pod placement and pull secrets, shared by every workload. */}}
{{- define "oura.podPlacement" -}}
{{- with .root.Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- with (default .root.Values.nodeSelector .values.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default .root.Values.tolerations .values.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default .root.Values.affinity .values.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Liveness on /healthz (the process), readiness on /readyz (database and schema). */}}
{{- define "oura.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end }}

{{/* Checks that JSON schema cannot express; each message names the value to fix. */}}
{{- define "oura.validate" -}}
{{- if and .Values.ingestWebhook.ingress.enabled (not .Values.ingestWebhook.ingress.host) }}
{{- fail "ingestWebhook.ingress.host is required when ingestWebhook.ingress.enabled is true (Oura must reach /webhook/oura and /oauth/callback there)" }}
{{- end }}
{{- if and .Values.queryApi.ingress.enabled (not .Values.queryApi.ingress.host) }}
{{- fail "queryApi.ingress.host is required when queryApi.ingress.enabled is true" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled (not (or .Values.networkPolicy.database.cidrs .Values.networkPolicy.database.podSelector)) }}
{{- fail "networkPolicy.database needs cidrs or a podSelector (where PostgreSQL runs) when networkPolicy.enabled is true; without one no pod could reach the database" }}
{{- end }}
{{- if and .Values.grafana.datasource.enabled (not .Values.grafana.datasource.host) }}
{{- fail "grafana.datasource.host is required when grafana.datasource.enabled is true (host:port of PostgreSQL as Grafana sees it)" }}
{{- end }}
{{- end }}
