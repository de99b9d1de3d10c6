"""People: users, roles, authentication. The table exists in every schema."""
