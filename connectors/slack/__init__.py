"""Slack: an app that answers mentions and direct messages in their thread (Events API)."""
