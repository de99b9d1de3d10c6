"""Double-entry ledger: accounts, journal entries, postings, holds. The only code that writes money."""
