"""Server-rendered SVG charts (no JavaScript, no CDN) for the back office and the head-office console.

Each chart is a string of SVG with ``role="img"``, an ``aria-label`` and a
``<title>`` tooltip per bar; pages show the same figures in a table for screen
readers. Only numbers and escaped labels go into the markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from shared_apps.core.punctuation import labelled


@dataclass
class Bucket:
    label: str
    orders: int = 0
    delivered: int = 0
    refunded: int = 0
    revenue: int = 0
    margin: int = 0

    @property
    def success_rate(self) -> float | None:
        decided = self.delivered + self.refunded
        return None if not decided else self.delivered / decided

    @property
    def success_percent(self) -> int:
        """0-100 for bar charts (0 when nothing was decided that day)."""
        rate = self.success_rate
        return 0 if rate is None else round(rate * 100)



PALETTE = ("#2563eb", "#059669", "#d97706", "#7c3aed", "#dc2626", "#0891b2")


def bar_chart(buckets: list[Bucket], *, value: str, title: str, width: int = 640, height: int = 200,
              colour: str = PALETTE[0], formatter=str, maximum: int | None = None) -> SafeString:
    """Vertical bars of ``getattr(bucket, value)``; every bar carries a <title> tooltip."""
    values = [max(getattr(bucket, value) or 0, 0) for bucket in buckets]
    top = maximum or max(values, default=0) or 1
    n = max(len(buckets), 1)
    pad_left, pad_bottom, pad_top = 8, 22, 14
    slot = (width - pad_left) / n
    bar = max(slot * 0.7, 2)
    plot = height - pad_bottom - pad_top
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'class="chart" preserveAspectRatio="none" width="100%" height="{height}">',
             f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width}" y2="{height - pad_bottom}" '
             f'stroke="#94a3b8"/>']
    every = max(1, n // 7)
    for i, (bucket, amount) in enumerate(zip(buckets, values, strict=True)):
        h = plot * amount / top
        x = pad_left + i * slot + (slot - bar) / 2
        y = height - pad_bottom - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}" rx="2">'
                     f'<title>{escape(labelled(bucket.label, formatter(amount)))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                         f'fill="#334155">{escape(bucket.label)}</text>')
    parts.append(f'<text x="{pad_left}" y="11" font-size="11" fill="#334155">{escape(formatter(top))}</text></svg>')
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only


def rate_bars(buckets: list[Bucket], *, title: str, width: int = 640) -> SafeString:
    """Horizontal success-rate bars (0-100 %), one row per bucket."""
    row_height = 26
    label_width = 200
    height = row_height * max(len(buckets), 1) + 4
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart" '
             f'width="100%" height="{height}">']
    for i, bucket in enumerate(buckets):
        rate = bucket.success_rate
        y = i * row_height + 2
        length = (width - label_width - 60) * (rate or 0)
        colour = PALETTE[1] if (rate or 0) >= 0.9 else PALETTE[2] if (rate or 0) >= 0.7 else PALETTE[4]
        shown = "–" if rate is None else f"{rate * 100:.0f} %"
        parts.append(f'<text x="0" y="{y + 16}" font-size="12" fill="#0f172a">{escape(bucket.label[:28])}</text>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{width - label_width - 60}" height="16" '
                     f'fill="#e2e8f0" rx="3"/>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="16" fill="{colour}" rx="3">'
                     f'<title>{escape(labelled(bucket.label, shown))}</title></rect>'
                     f'<text x="{width - 52}" y="{y + 16}" font-size="12" fill="#0f172a">{shown}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only


def stacked_series(series: dict[str, list[Bucket]], *, value: str, title: str, width: int = 640,
                   height: int = 200) -> SafeString:
    """Stacked daily bars, one colour per product type (legend rendered by the template)."""
    names = list(series)
    if not names:
        return bar_chart([], value=value, title=title, width=width, height=height)
    days = len(series[names[0]])
    totals = [sum(max(getattr(series[name][d], value), 0) for name in names) for d in range(days)]
    top = max(totals, default=0) or 1
    pad_left, pad_bottom, pad_top = 8, 22, 14
    slot = (width - pad_left) / max(days, 1)
    bar = max(slot * 0.7, 2)
    plot = height - pad_bottom - pad_top
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart" '
             f'preserveAspectRatio="none" width="100%" height="{height}">',
             f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width}" y2="{height - pad_bottom}" '
             f'stroke="#94a3b8"/>']
    every = max(1, days // 7)
    for d in range(days):
        x = pad_left + d * slot + (slot - bar) / 2
        base = height - pad_bottom
        for k, name in enumerate(names):
            amount = max(getattr(series[name][d], value), 0)
            h = plot * amount / top
            base -= h
            if h:
                parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"><title>'
                             f'{escape(labelled(f"{name} {series[name][d].label}", str(amount)))}</title></rect>')
        if d % every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" '
                         f'fill="#334155">{escape(series[names[0]][d].label)}</text>')
    parts.append(f'<text x="{pad_left}" y="11" font-size="11" fill="#334155">{top}</text></svg>')
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped labels only
