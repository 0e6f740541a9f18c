"""The ports: `typing.Protocol`s the services are written against.

They take and return domain types and raise domain errors (`shipcrowd_woo.domain.errors`),
never a library's exceptions.
"""
