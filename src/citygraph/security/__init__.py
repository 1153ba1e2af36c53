"""Passwords (bcrypt), signed tokens (JWT) and the permission rules the domain layer applies."""
