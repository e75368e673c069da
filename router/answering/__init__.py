"""One answering core: one class per leg, called by the pipeline, ``deskroute answer`` and
``eval-answers`` alike, so what is benchmarked is what ships.

- :class:`~router.answering.local.LocalAnswerer`: approved answer (template) or local SLM draft;
- :class:`~router.answering.hosted.HostedAnswerer`: hosted LLM, personal data redacted before
  the call and restored (then masked) after it;
- :class:`~router.answering.human.HumanNote`: the internal note a human agent receives.

Each takes its settings in its constructor and owns prepare → generate → redact/restore →
verify; each returns one :class:`~router.answering.result.AnswerResult`. Nothing here writes
to the store: the pipeline records results at its task boundary.
"""
