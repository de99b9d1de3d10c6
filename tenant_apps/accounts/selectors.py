"""Reading users."""

from __future__ import annotations

from django.db.models import QuerySet

from shared_apps.core.errors import NotFound

from .models import User


def users_list(*, role: str = "", search: str = "") -> QuerySet[User]:
    users = User.objects.order_by("-date_joined", "-id")
    if role:
        users = users.filter(role=role)
    if search:
        users = users.filter(email__icontains=search.strip().lower())
    return users


def user_get(*, public_id: str) -> User:
    user = User.objects.filter(public_id=public_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user
