"""Freshdesk: automation-rule webhooks in (shared token), replies, notes and updates out."""
