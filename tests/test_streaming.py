"""A slow download must not hold SQLite's write lock (the embedded default runs the demo)."""

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Role
from app.services.ledger import wallets
from app.transactions import commit
from tests.conftest import PASSWORD, Factory, _config_dict, login


def test_others_can_write_while_a_statement_is_being_streamed(tmp_path):
    url = f"sqlite:///{tmp_path / 'stream.db'}"
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        factory = Factory(db)
        partner = factory.partner()
        admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
        wallet = wallets.wallet_of(partner)
        for _ in range(1200):  # more than one batch, so the stream is still open after the first chunk
            wallets.recharge(wallet, 1, actor=factory.platform_admin())
        commit()
        email, wallet_id, partner_id = admin.email, wallet.id, partner.id
        db.session.remove()

    client = app.test_client()
    login(client, email, PASSWORD)
    response = client.get("/partner/wallet.csv", buffered=False)
    chunks = iter(response.response)
    first = next(chunks) + next(chunks)  # the header, then the first rows: the query is running

    # While the download is half-way, another process's write must not wait for it.
    writer = sa.create_engine(url, connect_args={"timeout": 0.5})
    with writer.begin() as conn:
        conn.execute(sa.text("UPDATE partners SET brand_color = '#123456' WHERE id = :id"), {"id": partner_id})
    writer.dispose()

    rest = b"".join(chunks)
    response.close()
    assert (first + rest).count(b"\n") == 1201
    with app.app_context():
        assert db.session.execute(sa.text("SELECT brand_color FROM partners WHERE id = :id"),
                                  {"id": partner_id}).scalar_one() == "#123456"
        assert db.session.execute(sa.text("SELECT balance FROM wallets WHERE id = :id"),
                                  {"id": wallet_id}).scalar_one() == 1200
        db.engine.dispose()
