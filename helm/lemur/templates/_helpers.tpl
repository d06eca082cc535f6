{{/* Chart name. */}}
{{- define "lemur.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped base name of every object (object names add a component suffix). */}}
{{- define "lemur.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels common to every object. */}}
{{- define "lemur.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "lemur.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lemur
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "gateway"). */}}
{{- define "lemur.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lemur.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Full labels of one component. */}}
{{- define "lemur.componentLabels" -}}
{{ include "lemur.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image reference: repository:tag, or repository@digest when a digest is given. */}}
{{- define "lemur.imageRef" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}
{{- end -}}

{{- define "lemur.image" -}}
{{- include "lemur.imageRef" .Values.image -}}
{{- end -}}

{{/* Pod-level security: non-root, RuntimeDefault seccomp (Pod Security `restricted`). */}}
{{- define "lemur.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security: read-only root, no privilege, no capabilities. */}}
{{- define "lemur.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Topology spread over zones and nodes for one component (best effort: ScheduleAnyway). */}}
{{- define "lemur.topologySpread" -}}
{{- if .root.Values.topologySpread.enabled }}
topologySpreadConstraints:
{{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: {{ $.root.Values.topologySpread.maxSkew }}
    topologyKey: {{ $key }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "lemur.selectorLabels" (dict "root" $.root "component" $.component) | nindent 8 }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The DATABASE_URL env var, from the existing Secret. */}}
{{- define "lemur.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.secretKey }}
{{- end -}}

{{/* LEMUR_INTERNAL_TOKEN, from the existing Secret: the services refuse gRPC calls between them that lack it. */}}
{{- define "lemur.internalTokenEnv" -}}
- name: LEMUR_INTERNAL_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.internalAuth.existingSecret }}
      key: {{ .Values.internalAuth.secretKey }}
{{- end -}}

{{/* Volumes every service mounts: /tmp (tsx's transpile cache, Node's temp files) on a read-only root. */}}
{{- define "lemur.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "lemur.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Common pod spec fields. */}}
{{- define "lemur.podCommon" -}}
securityContext:
  {{- include "lemur.podSecurityContext" . | nindent 2 }}
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Service names of the gRPC services, as host:port. */}}
{{- define "lemur.inferenceAddr" -}}
{{ include "lemur.fullname" . }}-inference.{{ .Release.Namespace }}.svc:{{ .Values.inference.grpcPort }}
{{- end -}}
{{- define "lemur.sandboxAddr" -}}
{{ include "lemur.fullname" . }}-sandbox.{{ .Release.Namespace }}.svc:{{ .Values.sandbox.grpcPort }}
{{- end -}}
{{- define "lemur.evalAddr" -}}
{{ include "lemur.fullname" . }}-eval.{{ .Release.Namespace }}.svc:{{ .Values.eval.grpcPort }}
{{- end -}}
