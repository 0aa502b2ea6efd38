"""Services do the work views and commands ask for: validate, commit, enqueue."""
