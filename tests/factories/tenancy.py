"""Partners and resellers, each with its wallet (and opening credits through the ledger)."""

from __future__ import annotations

from app.models import Partner, Reseller
from app.services.ledger import wallets


class TenancyFactory:
    def partner(self, name=None, credits=0, **kwargs) -> Partner:
        partner = Partner(name=name or f"Partner {self.n()}", kind=kwargs.pop("kind", "default"), **kwargs)
        self.db.session.add(partner)
        self.db.session.flush()
        wallet = wallets.wallet_of(partner)
        if credits:
            wallets.recharge(wallet, credits, actor=self.platform_admin(), note="test opening balance")
        return partner

    def reseller(self, name=None) -> Reseller:
        reseller = Reseller(name=name or f"Reseller {self.n()}")
        self.db.session.add(reseller)
        self.db.session.flush()
        wallets.wallet_of(reseller)
        return reseller
