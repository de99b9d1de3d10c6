"""The ledger: exported as the person's statement, never changed by an erasure (no personal column: the
owner is a foreign key, amounts, references and dates are what the books are)."""

from tenant_apps.privacy.registry import no_personal_data, register

from .models import Account, Hold, JournalEntry, Posting

register(Account, owners=("owner",))
register(Posting, owners=("account__owner",))
register(Hold, owners=("wallet__owner",))
no_personal_data(JournalEntry, "entry type, reference and amounts; the person is reached through the postings")
