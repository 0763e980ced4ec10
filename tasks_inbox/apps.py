from django.apps import AppConfig


class TasksInboxConfig(AppConfig):
    name = "tasks_inbox"
    verbose_name = "Operator inbox"

    def ready(self) -> None:
        # Receivers of the engine's signals: live notifications, emails (receivers.py).
        from . import receivers

        receivers.connect()
