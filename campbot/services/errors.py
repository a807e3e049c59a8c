"""Errors a use case raises for the caller to show to a person (not bugs)."""


class ServiceError(Exception):
    """A refusal with a message fit to show to the person who asked."""


class NotFound(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass
