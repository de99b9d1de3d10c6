"""The privacy app's own rows: the export requests (metadata) and the erasure record (no personal value)."""

from tenant_apps.privacy.registry import register

from .models import DataExport, Erasure

register(DataExport, owners=("user",), exclude=("file_key",))
register(Erasure, owners=("user",))
