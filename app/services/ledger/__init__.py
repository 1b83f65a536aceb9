"""Credits: wallets, the only code that changes a balance, and their statements. Imports models only."""
