"""Supervision (督办): how each member unit answers, as a court's supervisor reports it."""
