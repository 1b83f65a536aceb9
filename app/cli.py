"""Admin commands. They call services and commit once, like a view."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from flask import Flask

from app.models import Role
from app.services import DomainError
from app.services.billing.audit import audit_invoices
from app.services.demo import DEMO_PASSWORD, seed_demo
from app.services.enrolment.bulk import resume_stale_bulk_enrolments
from app.services.ledger.wallets import ledger_problems, wallet_count
from app.services.outbox.email import resend_failed
from app.services.people.users import create_user
from app.transactions import commit


def init_app(app: Flask) -> None:
    for command in (seed_demo_command, create_admin_command, audit_ledger_command, audit_invoices_command,
                    retry_emails_command, resume_bulk_enrolments_command):
        app.cli.add_command(command)


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo accounts and data (idempotent)."""
    seed_demo()
    commit()
    click.echo(f"Demo data ready. Every demo account's password is {DEMO_PASSWORD}.")


@click.command("create-admin")
@click.argument("email")
@click.password_option()
def create_admin_command(email, password):
    """Create a platform admin (asks for the password)."""
    if len(password) < 10:
        raise click.ClickException("The password must have at least 10 characters.")
    try:
        create_user(None, email=email, role=Role.PLATFORM_ADMIN, password=password)
    except DomainError as exc:
        raise click.ClickException(str(exc.message))
    commit()
    click.echo(f"Platform admin {email} created.")


@click.command("audit-ledger")
def audit_ledger_command():
    """Check the wallet invariants; exit 1 and list the wallets that break them.

    The checks run in the database and the problems are printed as they come:
    memory stays flat whatever the size of the ledger.
    """
    checked = wallet_count()
    broken: set[int] = set()
    for p in ledger_problems():
        broken.add(p.wallet_id)
        click.echo(f"  wallet {p.wallet_id} {p.owner}: {p.problem}", err=True)
    if broken:
        click.echo(f"Ledger audit FAILED: {len(broken)} of {checked} wallets broken.", err=True)
        sys.exit(1)
    click.echo(f"Ledger audit passed: {checked} wallets, every invariant holds.")


@click.command("audit-invoices")
def audit_invoices_command():
    """Check every invoice against its payments, seats and grants; exit 1 and list the broken invoices."""
    checked, problems = audit_invoices()
    if problems:
        broken = sorted({p.invoice_id for p in problems})
        click.echo(f"Invoice audit FAILED: {len(broken)} of {checked} invoices broken.", err=True)
        for p in problems:
            click.echo(f"  invoice {p.invoice_id} ({p.number}): {p.problem}", err=True)
        sys.exit(1)
    click.echo(f"Invoice audit passed: {checked} invoices; status matches payments, seats match quantities, "
               "every released seat has its grant and enrolments.")


@click.command("retry-emails")
def retry_emails_command():
    """Queue again every failed email, and every one whose job was lost."""
    count = resend_failed(None)
    commit()
    click.echo(f"{count} failed emails queued again.")


@click.command("resume-bulk-enrolments")
@click.option("--older-than", default=10, show_default=True, type=click.IntRange(min=0),
              help="Minutes a batch must have been pending.")
def resume_bulk_enrolments_command(older_than):
    """Queue again the bulk enrolments still pending after a while (their job was lost)."""
    count = resume_stale_bulk_enrolments(timedelta(minutes=older_than))
    commit()  # the jobs are queued once this commit succeeds
    noun = "bulk enrolment" if count == 1 else "bulk enrolments"
    click.echo(f"{count} waiting {noun} queued again.")
