"""The policy engine: a strict policy schema, its YAML loader and a pure evaluation function."""

from policies.loader import DEFAULT_POLICY, load_policy
from policies.model import Policy
from policies.parse import PolicyError, parse_policy

__all__ = ["DEFAULT_POLICY", "Policy", "PolicyError", "load_policy", "parse_policy"]
