"""Billing: invoices (drafted, issued with a yearly number, cancelled), payments, seats released by payment.

Modules, one concern each (functions add and flush; the edge commits once):

- ``invoices``: drafts, lines, issue, cancel, reading (the list with its seat counts, one invoice).
- ``numbering``: the yearly, gap-free invoice number (a locked counter row).
- ``payments``: record and reverse payments; status follows the payments; a payment that completes
  the invoice releases its waiting seats in the same transaction, under the invoice's row lock.
- ``seats``: link a user to a seat (release now or after full payment), unlink, release, revoke.
- ``tax_ids``: Italian and Brazilian tax ids checked by their check digits.
- ``audit``: ``flask audit-invoices``.
- ``invoice_pdf``: the printable invoice as a PDF.
- ``demo``: the demo invoices.
"""
