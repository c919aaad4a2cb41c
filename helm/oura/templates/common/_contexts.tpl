{{/*
What differs between the components, in one place: the command arguments, the secret keys each
mounts (least privilege: the query-api never sees the webhook token, the migration Job only the
owner's URL), whether the ingress controller may reach it, whether it calls Oura, and which paths
its Ingress publishes. Use: $ctx := include "oura.context" (dict "root" $ "component" "query-api") | fromJson
then set $ctx "root" $.
*/}}
{{- define "oura.context" -}}
{{- $v := .root.Values -}}
{{- if eq .component "ingest-webhook" -}}
{{- toJson (dict "component" "ingest-webhook" "values" $v.ingestWebhook "args" (list) "public" true "callsOura" true
      "paths" (list "/webhook/oura" "/oauth/callback")
      "secretKeys" (list "database-url" "client-id" "client-secret" "token-encryption-keys" "webhook-verification-token" "query-read-tokens" "query-admin-tokens")) -}}
{{- else if eq .component "query-api" -}}
{{- toJson (dict "component" "query-api" "values" $v.queryApi "args" (list) "public" $v.queryApi.ingress.enabled "callsOura" true
      "paths" (list "/")
      "secretKeys" (list "database-url" "client-id" "client-secret" "token-encryption-keys" "query-read-tokens" "query-admin-tokens")) -}}
{{- else if eq .component "backfill-worker" -}}
{{- toJson (dict "component" "backfill-worker" "values" $v.backfillWorker "args" (list "run") "public" false "callsOura" true
      "paths" (list)
      "secretKeys" (list "database-url" "client-id" "client-secret" "token-encryption-keys")) -}}
{{- else if eq .component "poller" -}}
{{- toJson (dict "component" "poller" "values" $v.poller "public" false "callsOura" true
      "secretKeys" (list "database-url" "client-id" "client-secret" "token-encryption-keys" "webhook-verification-token")) -}}
{{- else if eq .component "migrate" -}}
{{- toJson (dict "component" "migrate" "values" $v.migrate "public" false "callsOura" false
      "secretKeys" (list "migrate-database-url")) -}}
{{- else if eq .component "backup" -}}
{{- toJson (dict "component" "backup" "values" $v.backup "public" false "callsOura" false
      "secretKeys" (list "migrate-database-url")) -}}
{{- else -}}
{{- fail (printf "oura.context: unknown component %q" .component) -}}
{{- end -}}
{{- end }}
