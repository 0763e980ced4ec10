"""Workflow Island: the Django project and its core apps."""

from .celery import app as celery_app

__all__ = ("celery_app",)
