{{- define "lemur.np.pod" -}}
- podSelector:
    matchLabels:
      {{- include "lemur.selectorLabels" (dict "root" .root "component" .component) | nindent 6 }}
  {{- if .namespace }}
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .namespace }}
  {{- end }}
{{- end -}}
{{- define "lemur.np.monitoring" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .Values.networkPolicy.monitoringNamespace }}
{{- end -}}
{{- define "lemur.np.db" -}}
- to:
    {{- toYaml .Values.database.networkPeers | nindent 4 }}
  ports:
    - { protocol: TCP, port: {{ .Values.database.port }} }
{{- end -}}
{{- define "lemur.np.kubeApi" -}}
- to:
    {{- toYaml .Values.networkPolicy.kubeApiServer.peers | nindent 4 }}
  ports:
    {{- range .Values.networkPolicy.kubeApiServer.ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
{{- end -}}
{{- define "lemur.np.https" -}}
- ports:
    - { protocol: TCP, port: 443 }
{{- end -}}
