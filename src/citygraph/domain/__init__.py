"""The domain layer: plain async functions that both faces (GraphQL and REST) call.

A domain function takes a session, the acting user (or ``None``) and plain arguments; it returns
rows or plain values and raises :mod:`citygraph.domain.errors`. It knows nothing of HTTP.
"""
