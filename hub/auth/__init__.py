"""Who is asking: users, passwords, bearer tokens, and what each role may see."""
