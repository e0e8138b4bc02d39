"""The court-side 查控 web service (点对点) that units' own systems poll (hub/ckw/service.py)."""
