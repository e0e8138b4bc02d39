"""Tasks: what one member unit must do for one request, and when."""
