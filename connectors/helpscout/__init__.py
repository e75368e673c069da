"""Help Scout (Mailbox API 2.0): webhooks in, replies, notes, assignment and tags out."""
