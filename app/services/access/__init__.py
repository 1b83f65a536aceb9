"""Access: grants of products, participation in courses, access settings and THE lesson-state resolver.

Every area that lets a user into a course calls this package (reseller
orders, invoice seats, the CRM, a partner's paid enrolment); every page,
guard and email that needs a lesson's state asks ``lesson_states``.

Public API (functions add and flush; the caller commits once):

- ``grant_product(actor, user, product, offer, *, source, start_date=None) -> Grant``
  idempotent per ``source`` (a ``GrantSource(kind, id)``); holds one enrolment per course.
  ``grant_products(actor, [GrantAsked(user, product, offer, source)], …)`` the same for a batch (set-based).
- ``revoke_grant(actor, grant, *, reason=None) -> list[Enrolment]`` ends the enrolments nothing else holds
  (progress kept); ``enrolments_ending_with(grant)`` says which it would end.
- ``change_offer(actor, grant, offer, *, reason)`` lays the grant on another offer of its product (overrides stay).
- ``find_grant(source)``, ``grants_of(user)``.
- ``override_settings(actor, grant, {field: value}, *, reason)``, ``reset_to_offer(actor, grant, fields, *, reason)``,
  ``override_history(grant)``, ``current_overrides(grant)`` (latest row per field); field names in ``Field``;
  ``INHERIT`` as a value resets one field; ``clean_reason(reason)`` the one rule for a change's why.
- ``effective_settings(grant) -> AccessSettings``; ``offer_settings(offer)``; ``settings_after(grant, changes,
  *, offer=None)`` the settings unsaved changes would give (checked as saving checks them; nothing written).
- ``lesson_states(enrolment, today=None, *, grant=None) -> list[LessonState]``; ``lesson_state(enrolment, lesson)``;
  ``preview_states(enrolment, grant, settings, today=None)`` the same resolver on unsaved settings;
  ``current_start_date(user, courses)`` the day delays count from for the user now.
- ``join_course(actor, user, course, *, start_date, partner=None, credits=0)`` the one participation
  function (used by grants and by the partner's paid enrolment), ``join_courses(actor, users, course, …)``
  the same for a batch (bulk enrolment); ``participating_enrolment(user, course)``;
  ``lock_participant(user)`` / ``lock_participants(users)`` (after any wallet or invoice lock).
- ``today()`` the platform's calendar day.
"""

from app.services.access.grants import (  # noqa: F401
    GrantAsked, GrantRefused, SourceAlreadyUsed, change_offer, enrolments_ending_with, find_grant, grant_product,
    grant_products, grants_of, revoke_grant,
)
from app.services.access.participation import (  # noqa: F401
    join_course, join_courses, lock_participant, lock_participants, participating_enrolment, today,
)
from app.services.access.resolver import (  # noqa: F401
    LessonState, State, current_start_date, deciding_grant, lesson_state, lesson_states, preview_states,
)
from app.services.access.settings import (  # noqa: F401
    INHERIT, AccessSettings, Field, SettingsInvalid, check_offer, clean_reason, current_overrides,
    effective_settings, offer_settings, override_history, override_settings, reset_to_offer, settings_after,
)
from app.services.access.sources import GrantSource  # noqa: F401
