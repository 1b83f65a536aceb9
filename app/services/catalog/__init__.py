"""The platform's catalog: courses, their lessons, prices for partners, whitelabel partners' own courses."""
