"""The member-unit directory: which units exist, what they do, how tasks reach them."""
