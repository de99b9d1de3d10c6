"""The provider archive is redacted when written and purged at the end of its retention period."""

from tenant_apps.privacy.registry import no_personal_data

from .models import ProviderExchange

no_personal_data(ProviderExchange, "redacted on write: secrets removed, numbers masked to their last 4 digits, "
                                   "names masked; purged after the country's retention (purge_provider_archive)")
