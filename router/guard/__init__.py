"""The guard: PII redaction for the hosted leg, injection fencing, and the draft verifier.

Pure Python and numpy: no I/O and no model loading, so every check is cheap and testable.
"""

from router.guard.injection import fence_untrusted
from router.guard.pii import Redaction, redact, restore
from router.guard.render import safe_to_render
from router.guard.verify import grounding_similarity, mean_token_logprob, verify_draft

__all__ = [
    "Redaction",
    "fence_untrusted",
    "grounding_similarity",
    "mean_token_logprob",
    "redact",
    "restore",
    "safe_to_render",
    "verify_draft",
]
