"""Provider registry: who fulfils what, where, with which credentials (public schema)."""
