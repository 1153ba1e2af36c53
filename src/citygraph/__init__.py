"""citygraph: a Moscow city guide backend, GraphQL first, with a REST compatibility layer."""

__version__ = "0.1.0"
