"""Demo data set: Moscow's okrugs and well-known places."""
