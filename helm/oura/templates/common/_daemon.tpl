{{/*
The three long-running services share one shape; each component's template files call these with
  dict "root" $ "component" "<name>" "values" .Values.<component> "args" (list …) "secretKeys" (list …)
so a change to probes, security or secrets lands in all three at once.
*/}}

{{- define "oura.daemon.deployment" -}}
{{- $name := include "oura.componentName" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "oura.labels" . | nindent 4 }}
spec:
  {{- if not .values.autoscaling.enabled }}
  replicas: {{ .values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  selector:
    matchLabels:
      {{- include "oura.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "oura.labels" . | nindent 8 }}
      annotations:
        {{- /* A changed secret source or config rolls the pods. */}}
        checksum/config: {{ toJson (list .root.Values.config .root.Values.secrets .values) | sha256sum }}
        {{- with .values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "oura.serviceAccountName" .root }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ .values.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "oura.podSecurityContext" .root | nindent 8 }}
      {{- include "oura.podPlacement" . | nindent 6 }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "oura.selectorLabels" . | nindent 14 }}
      containers:
        - name: {{ .component }}
          image: {{ include "oura.image" .root }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          command: [{{ .component | quote }}]
          {{- with .args }}
          args: {{ toJson . }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ .root.Values.config.httpPort }}
              protocol: TCP
          env:
            {{- include "oura.commonEnv" .root | nindent 12 }}
            {{- include "oura.daemonEnv" . | nindent 12 }}
            {{- with include "oura.publicEnv" .root | trim }}{{ . | nindent 12 }}{{ end }}
            {{- if eq .component "ingest-webhook" }}
            - name: OURA_WEBHOOK_WORKERS
              value: {{ .values.workers | quote }}
            {{- end }}
            {{- if ne .component "backfill-worker" }}
            - name: OURA_INITIAL_BACKFILL_DAYS
              value: {{ .root.Values.config.initialBackfillDays | quote }}
            {{- end }}
            {{- include "oura.secretEnv" (dict "keys" .secretKeys) | nindent 12 }}
            {{- include "oura.extraEnv" . | indent 12 }}
          {{- include "oura.probes" . | nindent 10 }}
          resources:
            {{- toYaml .values.resources | nindent 12 }}
          securityContext:
            {{- include "oura.containerSecurityContext" .root | nindent 12 }}
          volumeMounts:
            - name: secrets
              mountPath: /var/run/secrets/oura
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "oura.secretVolume" (dict "root" .root "keys" .secretKeys) | nindent 8 }}
        - name: tmp
          emptyDir: {sizeLimit: 64Mi}
{{- end }}

{{- define "oura.daemon.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "oura.componentName" . }}
  labels:
    {{- include "oura.labels" . | nindent 4 }}
spec:
  type: {{ .values.service.type }}
  selector:
    {{- include "oura.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .values.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}

{{- define "oura.daemon.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "oura.componentName" . }}
  labels:
    {{- include "oura.labels" . | nindent 4 }}
spec:
  minAvailable: {{ .values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "oura.selectorLabels" . | nindent 6 }}
{{- end }}

{{- define "oura.daemon.hpa" -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "oura.componentName" . }}
  labels:
    {{- include "oura.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "oura.componentName" . }}
  minReplicas: {{ .values.autoscaling.minReplicas }}
  maxReplicas: {{ .values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}

{{/* The job label is the component name ("query-api"), the same in every release, so the alert rules can name it. */}}
{{- define "oura.daemon.serviceMonitor" -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "oura.componentName" . }}
  labels:
    {{- include "oura.labels" . | nindent 4 }}
    {{- with .root.Values.monitoring.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  jobLabel: app.kubernetes.io/component
  selector:
    matchLabels:
      {{- include "oura.selectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames: [{{ .root.Release.Namespace | quote }}]
  endpoints:
    - port: http
      path: /metrics
      interval: {{ .root.Values.monitoring.serviceMonitor.interval }}
      scrapeTimeout: {{ .root.Values.monitoring.serviceMonitor.scrapeTimeout }}
{{- end }}

{{/*
Who may reach a daemon: Prometheus on its port always; the ingress controller only where .public;
nothing else. Egress: DNS, the database, and Oura on 443 where .callsOura.
*/}}
{{- define "oura.daemon.networkPolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "oura.componentName" . }}
  labels:
    {{- include "oura.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "oura.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .root.Values.networkPolicy.monitoring.namespace }}
      ports:
        - port: http
          protocol: TCP
    {{- if .public }}
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .root.Values.networkPolicy.ingressController.namespace }}
          podSelector:
            matchLabels:
              {{- toYaml .root.Values.networkPolicy.ingressController.podSelector | nindent 14 }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
  egress:
    {{- include "oura.egress.dns" . | nindent 4 }}
    {{- include "oura.egress.database" .root | nindent 4 }}
    {{- if .callsOura }}
    {{- include "oura.egress.oura" .root | nindent 4 }}
    {{- end }}
{{- end }}

{{- define "oura.egress.dns" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end }}

{{- define "oura.egress.database" -}}
{{- $db := .Values.networkPolicy.database }}
- to:
    {{- range $db.cidrs }}
    - ipBlock: {cidr: {{ . | quote }}}
    {{- end }}
    {{- if $db.podSelector }}
    - podSelector:
        matchLabels:
          {{- toYaml $db.podSelector | nindent 10 }}
      {{- if $db.namespace }}
      namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ $db.namespace }}
      {{- end }}
    {{- end }}
  ports:
    - {port: {{ $db.port }}, protocol: TCP}
{{- end }}

{{- define "oura.egress.oura" -}}
- to:
    {{- range .Values.networkPolicy.oura.cidrs }}
    - ipBlock: {cidr: {{ . | quote }}}
    {{- end }}
  ports:
    - {port: 443, protocol: TCP}
{{- end }}

{{- define "oura.daemon.ingress" -}}
{{- $ing := .values.ingress -}}
{{- $name := include "oura.componentName" . -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $name }}
  labels:
    {{- include "oura.labels" . | nindent 4 }}
  {{- with $ing.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $ing.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if $ing.tls.enabled }}
  tls:
    - hosts: [{{ $ing.host | quote }}]
      secretName: {{ default (printf "%s-tls" $name) $ing.tls.secretName }}
  {{- end }}
  rules:
    - host: {{ $ing.host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ . }}
            pathType: {{ if eq . "/" }}Prefix{{ else }}Exact{{ end }}
            backend:
              service:
                name: {{ $name }}
                port:
                  name: http
          {{- end }}
{{- end }}
