"""Zendesk Support: event and trigger webhooks in, ticket comments and updates out."""
