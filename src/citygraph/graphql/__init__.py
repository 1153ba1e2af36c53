"""The GraphQL face: strawberry schema, resolvers over the domain layer, HTTP view and limits."""
