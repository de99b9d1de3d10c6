from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    """Renders a list of flat dicts as CSV (``?format=csv``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        rows = data if isinstance(data, list) else [data]
        if not rows:
            return b""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _flatten(v) for k, v in row.items()} if isinstance(row, dict) else row)
        return out.getvalue().encode(self.charset)


def _flatten(value):
    # CSV injection: a cell starting with = + - @ is neutralised for spreadsheet apps.
    if isinstance(value, str) and value[:1] in ("=", "+", "@") :
        return "'" + value
    return value
