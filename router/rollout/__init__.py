"""Safe rollout: modes (shadow, assist, auto), what agents do with the drafts, promotions.

Pure parts (the feedback classifier, the promotion statistics, the policy writer) have no
store or model imports at module level, so the API and the CLI stay light.
"""
