"""Admin commands. They call services and commit once, like a view."""

from __future__ import annotations

import sys

import click
from flask import Flask

from app.transactions import commit


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create the demo accounts and data (idempotent)."""
        from app.services.demo import DEMO_PASSWORD, seed_demo

        seed_demo()
        commit()
        click.echo(f"Demo data ready. Every demo account's password is {DEMO_PASSWORD}.")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.password_option()
    def create_admin_command(email, password):
        """Create a platform admin (asks for the password)."""
        from app.models import Role
        from app.services import DomainError
        from app.services.people.users import create_user

        if len(password) < 10:
            raise click.ClickException("The password must have at least 10 characters.")
        try:
            create_user(None, email=email, role=Role.PLATFORM_ADMIN, password=password)
        except DomainError as exc:
            raise click.ClickException(exc.message)
        commit()
        click.echo(f"Platform admin {email} created.")

    @app.cli.command("audit-ledger")
    def audit_ledger_command():
        """Check the wallet invariants; exit 1 and list the wallets that break them."""
        from app.services.ledger.wallets import audit_ledger

        checked, problems = audit_ledger()
        if problems:
            broken = sorted({p.wallet_id for p in problems})
            click.echo(f"Ledger audit FAILED: {len(broken)} of {checked} wallets broken.", err=True)
            for p in problems:
                click.echo(f"  wallet {p.wallet_id} {p.owner}: {p.problem}", err=True)
            sys.exit(1)
        click.echo(f"Ledger audit passed: {checked} wallets, every invariant holds.")

    from app.jobs.bulk import register_cli as register_bulk_cli

    register_bulk_cli(app)

    @app.cli.command("retry-emails")
    def retry_emails_command():
        """Queue again every failed email, and every one whose job was lost."""
        from app.services.outbox.email import resend_failed

        count = resend_failed(None)
        commit()
        click.echo(f"{count} failed emails queued again.")
