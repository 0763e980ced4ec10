{{/* Names and labels shared by every object of the chart. */}}
{{- define "wi.name" -}}
{{ .Chart.Name }}
{{- end }}

{{- define "wi.fullname" -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end }}

{{- define "wi.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "wi.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "wi.secretName" -}}
{{- if .Values.existingSecret -}}
{{ .Values.existingSecret }}
{{- else -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end -}}
{{- end }}

{{/* The environment of every platform container: the ConfigMap and the Secret. */}}
{{- define "wi.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "wi.fullname" . }}
  - secretRef:
      name: {{ include "wi.secretName" . }}
{{- end }}

{{- define "wi.image" -}}
image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end }}

{{/* Pod-level settings shared by web, worker, scheduler and the migration job. */}}
{{- define "wi.podSpec" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- if .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml .Values.imagePullSecrets | nindent 2 }}
{{- end }}
{{- if .Values.nodeSelector }}
nodeSelector:
  {{- toYaml .Values.nodeSelector | nindent 2 }}
{{- end }}
{{- if .Values.tolerations }}
tolerations:
  {{- toYaml .Values.tolerations | nindent 2 }}
{{- end }}
{{- if .Values.affinity }}
affinity:
  {{- toYaml .Values.affinity | nindent 2 }}
{{- end }}
{{- end }}

{{/* Writable scratch: the root filesystem is read-only. */}}
{{- define "wi.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
  - name: var
    emptyDir: {}
{{- end }}

{{- define "wi.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: var
    mountPath: /var/lib/workflow-island
{{- end }}
