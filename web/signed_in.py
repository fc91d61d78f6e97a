"""The signed-in staff member: who pages and the API act as (a user with their organisation)."""

from __future__ import annotations

from flask import g
from flask import request
from flask_login import UserMixin
from sqlalchemy import select

from engine import Actor
from engine import Organisation
from engine import User
from web.extensions import db


class Staff(UserMixin):
    """A signed-in staff member with their organisation (what pages and the API act as)."""

    def __init__(self, user: User, organisation: Organisation) -> None:
        self.user = user
        self.organisation = organisation

    def get_id(self) -> str:
        # The epoch makes a copied or replayed session cookie worthless once its user signs out (cookies are
        # signed, not stored: without it, an old cookie would stay valid until it expired).
        return f"{self.user.id}:{self.user.session_epoch}"

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def organisation_id(self) -> int:
        return self.organisation.id

    @property
    def role(self) -> str:
        return self.organisation.role

    @property
    def municipality(self) -> str:
        return self.organisation.municipality

    @property
    def is_admin(self) -> bool:
        """The administrator capability: compare municipalities' flows (web/admin.py)."""
        return bool(self.user.is_admin)

    def actor(self) -> Actor:
        return Actor(
            user_id=self.user.id,
            organisation_id=self.organisation.id,
            role=self.organisation.role,
            address=request.remote_addr,
        )


def load_staff(user_id: int) -> Staff | None:
    # One statement per request for both (issue 14: a task POST counts its statements).
    found = db.session.execute(
        select(User, Organisation).join(Organisation, Organisation.id == User.organisation_id).where(User.id == user_id)
    ).first()
    if found is None or not found[0].active:
        return None
    return Staff(found[0], found[1])


def staff() -> Staff:
    """The signed-in staff member of this request (set by the blueprints' login checks)."""
    return g.staff
