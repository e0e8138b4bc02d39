"""Assistance requests: received from courts, fanned out into one task per member unit."""
