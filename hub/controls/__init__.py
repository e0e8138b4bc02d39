"""Controls: seals, seizures and freezes, from the receipt that made them until they end."""
