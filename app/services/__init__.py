"""Domain operations, one package per domain: one function = one use case. They add and flush; the edge commits.

Imports run one way: views -> services -> models. A service may import models,
``app.extensions``, ``app.transactions``, ``app.queue`` and other services, never
``app.web``, a blueprint or a job module.
"""

from flask_babel import gettext


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

    def as_recorded(self) -> dict:
        """The refusal as a stored record keeps it: its English message and the values put into it, so each
        reader gets it in their own language (``reworded``); never text translated for whoever caused it."""
        message = self.message
        args, values = getattr(message, "_args", ()), getattr(message, "_kwargs", {})
        if len(args) == 1 and isinstance(args[0], str):  # lazy_gettext("... %(n)s ...", n=...)
            return {"refusal": args[0], "refusal_values": {key: value if isinstance(value, int) else str(value)
                                                           for key, value in values.items()}}
        return {"refusal": str(message)}


def reworded(details: dict) -> str:
    """A refusal kept by ``DomainError.as_recorded``, in the current reader's language."""
    message = details.get("refusal") or ""
    return gettext(message, **details.get("refusal_values", {})) if message else ""
