"""Who the tenants are: partners, their client companies, platform settings."""
