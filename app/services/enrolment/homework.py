"""Homework: a student hands in a text answer or a file; it is reviewed as the access settings say.

Review methods (the settings of the grant, app.services.access): *automatic*
accepts at once; *teacher* puts it in the platform's review queue, where an
admin accepts it or sends it back with a comment; *none* asks no homework
(the lesson is marked done with its button). A lesson that asks homework is
done when its homework is accepted, so a checkpoint with homework opens the
next lessons only then.

Files: PDF, images (PNG, JPEG, GIF, WebP) and office documents (OOXML,
OpenDocument, legacy Office), recognised by their first bytes (not by the
name or the browser's word), at most ``HOMEWORK_MAX_BYTES``, stored under
``UPLOAD_DIR`` (outside the web root) with a random name. They are served
only to their owner and to platform admins, as attachments.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Enrolment, HomeworkStatus, HomeworkSubmission, Lesson, User
from app.models.base import utcnow
from app.services import DomainError, audit
from app.services.access import resolver
from app.services.access.resolver import State
from app.services.enrolment import progress

TEXT_MAX = 20_000
COMMENT_MAX = 5_000
NAME_MAX = 200


class HomeworkRefused(DomainError):
    pass


@dataclass(frozen=True)
class FileKind:
    extension: str
    content_type: str


_OOXML = {
    "docx": ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
_ODF = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
_OLE = {"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}


def file_kind(name: str, data: bytes) -> FileKind | None:
    """What the file really is, by its first bytes (and, for office formats, its inner structure)."""
    extension = Path(name or "").suffix.lower().lstrip(".")
    if data.startswith(b"%PDF-"):
        return FileKind("pdf", "application/pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind("png", "image/png")
    if data.startswith(b"\xff\xd8\xff"):
        return FileKind("jpg", "image/jpeg")
    if data.startswith((b"GIF87a", b"GIF89a")):
        return FileKind("gif", "image/gif")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return FileKind("webp", "image/webp")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and extension in _OLE:
        return FileKind(extension, _OLE[extension])
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if extension in _OOXML and "[Content_Types].xml" in names and any(
                        n.startswith(_OOXML[extension][0]) for n in names):
                    return FileKind(extension, _OOXML[extension][1])
                if extension in _ODF and "mimetype" in names and archive.read("mimetype").decode(
                        "ascii", "replace").strip() == _ODF[extension]:
                    return FileKind(extension, _ODF[extension])
        except (zipfile.BadZipFile, KeyError, RuntimeError, ValueError, NotImplementedError):
            return None
    return None


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "homework"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(submission: HomeworkSubmission) -> Path | None:
    if not submission.stored_name:
        return None
    return upload_dir() / submission.stored_name


def _clean_name(name: str, kind: FileKind) -> str:
    base = Path(name or "").name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"\\/')[:NAME_MAX - 10].strip()
    stem = Path(base).stem or "homework"
    return f"{stem}.{kind.extension}"


# --- reading --------------------------------------------------------------------------


def latest_submissions(enrolment: Enrolment) -> dict[int, HomeworkSubmission]:
    """The latest submission per lesson of the enrolment."""
    if enrolment.id is None:
        return {}
    rows = db.session.execute(
        sa.select(HomeworkSubmission).where(HomeworkSubmission.enrolment_id == enrolment.id)
        .order_by(HomeworkSubmission.id)
    ).scalars().all()
    return {row.lesson_id: row for row in rows}


def review_queue_query():
    """Submissions waiting for a teacher, oldest first, with who and what loaded (one query per page)."""
    return (
        sa.select(HomeworkSubmission)
        .where(HomeworkSubmission.status == HomeworkStatus.PENDING.value)
        .options(
            sa.orm.joinedload(HomeworkSubmission.enrolment).joinedload(Enrolment.user),
            sa.orm.joinedload(HomeworkSubmission.enrolment).joinedload(Enrolment.course),
            sa.orm.joinedload(HomeworkSubmission.lesson),
        )
        .order_by(HomeworkSubmission.id)
    )


def pending_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(HomeworkSubmission.id))
                             .where(HomeworkSubmission.status == HomeworkStatus.PENDING.value))


def submission_of(user: User, submission_id: int) -> HomeworkSubmission | None:
    """The user's own submission; anyone else's (or none) is None."""
    return db.session.execute(
        sa.select(HomeworkSubmission).join(Enrolment, Enrolment.id == HomeworkSubmission.enrolment_id)
        .where(HomeworkSubmission.id == submission_id, Enrolment.user_id == user.id)
    ).scalar_one_or_none()


# --- handing in -------------------------------------------------------------------------


def asks_homework(enrolment: Enrolment, lesson: Lesson) -> bool:
    return lesson.has_homework and resolver.governing_access(enrolment).settings.asks_homework


def submit_homework(user: User, enrolment: Enrolment, lesson: Lesson, *, text: str = "",
                    file_name: str | None = None, file_data: bytes | None = None, today=None
                    ) -> HomeworkSubmission:
    """Hand in homework for an open lesson; automatic review accepts (and completes the lesson) at once."""
    if enrolment.user_id != user.id or lesson.course_id != enrolment.course_id:
        raise HomeworkRefused(_l("This lesson is not available to you."))
    item = resolver.lesson_state(enrolment, lesson, today)
    if item.state == State.DONE:
        raise HomeworkRefused(_l("This lesson is already done."))
    if not item.may_open:
        raise HomeworkRefused(progress.refusal_reason(item))
    access = resolver.governing_access(enrolment)
    if not (lesson.has_homework and access.settings.asks_homework):
        raise HomeworkRefused(_l("This lesson asks no homework."))
    latest = latest_submissions(enrolment).get(lesson.id)
    if latest is not None and latest.status == HomeworkStatus.PENDING.value:
        raise HomeworkRefused(_l("Your homework is waiting for review: you can hand in again if it is sent back."))
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > TEXT_MAX:
        raise HomeworkRefused(_l("At most %(n)s characters.", n=TEXT_MAX), field="text")
    kind = None
    if file_data:
        limit = current_app.config["HOMEWORK_MAX_BYTES"]
        if len(file_data) > limit:
            raise HomeworkRefused(_l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024) or 1),
                                  field="file")
        kind = file_kind(file_name or "", file_data)
        if kind is None:
            raise HomeworkRefused(_l("Send a PDF, an image (PNG, JPEG, GIF, WebP) or an office document "
                                     "(Word, Excel, PowerPoint, OpenDocument)."), field="file")
    if not text and kind is None:
        raise HomeworkRefused(_l("Write your answer or attach a file."), field="text")

    submission = HomeworkSubmission(enrolment_id=enrolment.id, lesson_id=lesson.id, text=text)
    if kind is not None:
        submission.stored_name = f"{secrets.token_hex(16)}.{kind.extension}"
        submission.file_name = _clean_name(file_name or "", kind)
        submission.content_type = kind.content_type
        submission.file_size = len(file_data)
        stored_path(submission).write_bytes(file_data)
    automatic = access.settings.review_method == "automatic"
    submission.status = (HomeworkStatus.ACCEPTED if automatic else HomeworkStatus.PENDING).value
    if automatic:
        submission.reviewed_at = utcnow()
    db.session.add(submission)
    db.session.flush()
    audit.record(user, "homework.submitted", submission, lesson=lesson.title, status=submission.status)
    if automatic:
        progress.record_lesson_done(user, enrolment, lesson)
    return submission


# --- review ---------------------------------------------------------------------------


def _claim(submission: HomeworkSubmission, status: HomeworkStatus, actor: User, comment: str) -> bool:
    """Move a pending submission to ``status`` once (a conditional UPDATE: two reviewers, one wins)."""
    table = HomeworkSubmission.__table__
    claimed = db.session.execute(
        sa.update(table).where(table.c.id == submission.id, table.c.status == HomeworkStatus.PENDING.value)
        .values(status=status.value, reviewed_by_id=actor.id, reviewed_at=utcnow(), review_comment=comment)
    ).rowcount
    db.session.refresh(submission)
    return claimed == 1


def accept_homework(actor: User, submission: HomeworkSubmission) -> bool:
    """Accept it: the lesson is done (and the course complete with the last one). False if already reviewed."""
    if not _claim(submission, HomeworkStatus.ACCEPTED, actor, ""):
        return False
    enrolment = submission.enrolment
    audit.record(actor, "homework.accepted", submission, lesson=submission.lesson.title,
                 student=enrolment.user.email)
    progress.record_lesson_done(actor, enrolment, submission.lesson)
    return True


def return_homework(actor: User, submission: HomeworkSubmission, comment: str) -> bool:
    """Send it back with a comment the student sees; they hand in again. False if already reviewed."""
    comment = (comment or "").replace("\r\n", "\n").strip()
    if not comment:
        raise HomeworkRefused(_l("Say what to improve: the student reads this comment."), field="comment")
    if len(comment) > COMMENT_MAX:
        raise HomeworkRefused(_l("At most %(n)s characters.", n=COMMENT_MAX), field="comment")
    if not _claim(submission, HomeworkStatus.RETURNED, actor, comment):
        return False
    audit.record(actor, "homework.returned", submission, lesson=submission.lesson.title,
                 student=submission.enrolment.user.email)
    return True


def find_submission(submission_id: int) -> HomeworkSubmission | None:
    return db.session.get(HomeworkSubmission, submission_id)



def read_upload(upload, limit: int | None = None) -> bytes | None:
    """The bytes of an uploaded file (a werkzeug FileStorage), read at most one byte past the limit."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    limit = limit or current_app.config["HOMEWORK_MAX_BYTES"]
    return upload.stream.read(limit + 1) or None
