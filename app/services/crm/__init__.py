"""CRM: the platform's contacts (everyone who holds or held an access), their card, plan changes and order edits.

Built on ``app.services.access`` and nothing beside it: a plan change is a
grant (``grant_product`` with a manual source) and a revocation
(``revoke_grant``); an order edit is overrides on the grant
(``override_settings``, ``reset_to_offer``, ``change_offer``) previewed by the
one resolver on unsaved settings (``settings_after``, ``preview_states``).

Modules:

- ``contacts``: who is a contact, the searchable paginated list (a constant number of queries per page).
- ``card``: a contact's accesses (grants with their source, start, status and progress; paid enrolments
  that no grant holds) and the timeline of every change to them.
- ``plans``: "+ Product" (start date kept or today) and removing an access.
- ``orders``: editing one participant's access settings, sparse, with a preview.

Functions add and flush; the caller commits once.
"""
