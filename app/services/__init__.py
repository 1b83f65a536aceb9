"""Domain operations, one package per domain: one function = one use case. They add and flush; the edge commits.

Imports run one way: views -> services -> models. A service may import models,
``app.extensions``, ``app.transactions``, ``app.queue`` and other services, never
``app.web``, a blueprint or a job module.
"""


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed.

    ``field`` names the form field the refusal belongs to (None: the form as a whole),
    so one helper (``web.apply_refusal``) can show the service's own words in place.
    """

    field: str | None = None

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field
