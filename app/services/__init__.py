"""Domain operations: one function = one use case. They add and flush; the edge commits."""


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message
