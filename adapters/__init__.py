"""Ways of reaching member units. Each channel kind is one module; see adapters/base.py (next issue)."""
