"""Webhooks: subscriptions, durable signed deliveries with retries, and replays."""
