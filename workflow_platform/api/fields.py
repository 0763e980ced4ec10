"""Serializer fields stricter than DRF's where a loose reading would surprise a client."""

from __future__ import annotations

from rest_framework import serializers


class JsonBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``, nothing else.

    DRF's BooleanField also takes "yes", "0", 1 or "off": a client that sends
    ``"compensate": "false"`` must hear that it is not a boolean, not get a true.
    """

    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid")
