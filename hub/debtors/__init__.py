"""Debtors (被执行人): everything the hub learned about one subject, across requests and units."""
