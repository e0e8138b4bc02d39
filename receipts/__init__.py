"""Receipt intake: validate, match to its task, apply, store. The same whichever channel brought it."""
