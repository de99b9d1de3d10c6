"""Cross-cutting plumbing shared by every schema: errors, request context, health."""
