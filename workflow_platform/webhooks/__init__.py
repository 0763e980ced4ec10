"""Outbound webhooks, an app of their own that listens to engine and worklist signals."""
