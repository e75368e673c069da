"""E-mail: a support mailbox read over IMAP or an inbound-parse webhook, answered over SMTP."""
