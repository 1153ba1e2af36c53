"""``make soak``: citygraph under load through a PostgreSQL outage (a script, not a test)."""
