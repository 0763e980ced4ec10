from django.apps import AppConfig

from . import latency, tracing


class ObservabilityConfig(AppConfig):
    name = "workflow_platform.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        # A worker's main process forks its pool first (tracing.py says why).
        kind = tracing.process_kind()
        if kind == "worker":
            tracing.connect_worker_signals()
            latency.connect_worker_signals()
        else:
            tracing.configure(kind)
        latency.listen()  # before the fork: the pool's children inherit it
