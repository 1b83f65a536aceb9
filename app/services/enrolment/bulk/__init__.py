"""Bulk enrolment by a partner: preview the cost, then enrol all or nothing.

One module per concern: ``emails`` reads a pasted or uploaded list, ``classify``
says what would happen to each row (``rows`` holds the outcomes), ``batches``
holds the use cases below, ``picker`` the students offered as checkboxes,
``progress`` a running job's progress. This package exposes the use cases.


1. ``preview_bulk_enrolment`` resolves a list of students (ticked in a list,
   or emails pasted or uploaded as CSV) and says what would happen to each
   row, the total cost and whether the balance pays for it. Nothing is written.
2. ``request_bulk_enrolment`` stores the confirmed list (the students the
   preview would enrol) and the price confirmed as a pending ``BulkEnrolment``.
   Given what was asked (the ticked ids and the email rows), it classifies
   them again and keeps, in ``results``, what happens to every row in the
   preview's order, so the result page lists the rows that are skipped too.
3. ``run_bulk_enrolment`` applies it in one transaction: the partner's wallet
   is locked once, every row is classified again (things change between the
   preview and the confirmation), the price and the total are checked, and
   only then are the students enrolled and charged, ``BATCH`` rows at a time,
   set-based (``enrol.enrol_many``: one lock of their rows, one insert of
   enrolments through ``access.join_courses``, one debit and one insert of
   entries, one of audit events). A price changed since the confirmation, or
   a balance short of credits, and nobody is enrolled.

``confirm_bulk_enrolment`` is the confirmation as the page does it: small
batches run at once, larger ones in a background job after the commit.
The caller (view, job, CLI) commits once. A batch whose worker died stays
'pending': ``resume_stale_bulk_enrolments`` (``flask resume-bulk-enrolments``)
queues it again; running a batch twice is safe.
"""

from app.services.enrolment.bulk.batches import (  # noqa: F401
    INLINE_LIMIT, STALE_AFTER, NothingToEnrol, PriceChanged, bulk_of, confirm_bulk_enrolment, is_delayed,
    mark_bulk_failed, preview_again, preview_bulk_enrolment, recent_bulk_enrolments, request_bulk_enrolment,
    resume_stale_bulk_enrolments, run_bulk_enrolment, runs_inline,
)
from app.services.enrolment.bulk.emails import MAX_ROWS, read_email_list  # noqa: F401
from app.services.enrolment.bulk.picker import Picker, pickable_students  # noqa: F401
from app.services.enrolment.bulk.rows import (  # noqa: F401
    OUTCOME_LABELS, Outcome, Preview, Row, batch_error, result_counts, row_message,
)
from app.services.exports.csv_upload import UploadError as BulkInputError  # noqa: F401

