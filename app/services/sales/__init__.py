"""Reseller sales: the offers a reseller sells, its customers and their credit, orders, payment policies,
verified payment webhooks, and THE activation of an order (exactly once).

Modules (functions add and flush; the caller commits once):

- ``catalog``     what each reseller may sell (offers, with an optional price in credits)
- ``resellers``   resellers as the platform admin runs them: create, edit, users, wallet recharge/deduction
- ``customers``   a reseller's customers: create (welcome email), find, list; add credit, recover credit
- ``policies``    payment settings per reseller and method; what a confirmed payment does, and why an order waits
- ``orders``      placing an order (shop, or by hand), deleting it, the order lists and their CSV rows
- ``activation``  ``activate_order``: one conditional UPDATE gating the grants, the ledger entry and the email;
                  ``confirm_payment``: a payment confirmed by a provider goes through the reseller's policy
- ``payments``    Stripe and PayPal webhooks (verified, stored once per event id), test-mode events
- ``gateways``    the calls to the providers' APIs (the only code that reaches Stripe or PayPal)
- ``to_activate`` the read model of the "to activate" list
- ``demo``        the demo reseller's data
"""
