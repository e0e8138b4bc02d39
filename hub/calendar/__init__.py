"""Working-day calendar for deadlines."""
