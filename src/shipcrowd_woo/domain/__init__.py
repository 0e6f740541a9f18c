"""The pure core: models, transformation and rules. Imports only the standard library and attrs."""
