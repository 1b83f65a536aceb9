"""The bulk enrolment job: run one batch and commit once; on an unexpected error, record it as failed.

A batch whose job was lost stays 'pending': ``flask resume-bulk-enrolments``
(run it from cron every few minutes) queues it again.
"""

from __future__ import annotations

import logging


from app.jobs.context import app_context
from app.services.enrolment import bulk
from app.services.enrolment.bulk.progress import record_progress
from app.transactions import commit, rollback

log = logging.getLogger(__name__)


def run_bulk_enrolment_job(bulk_id: int) -> str:
    with app_context():
        try:
            batch = bulk.run_bulk_enrolment(bulk_id, progress=lambda done, total: record_progress(bulk_id, done, total))
            status = batch.status
            commit()
        except Exception:
            rollback()
            log.exception("bulk enrolment %s failed", bulk_id)
            bulk.mark_bulk_failed(bulk_id)
            commit()
            raise
        return status
