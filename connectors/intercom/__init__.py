"""Intercom: conversation webhooks in, admin replies, notes, team assignment and tags out."""
