"""Demo organisations and staff for every municipality in processes/, so a newcomer can sign in at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine.directory import demo_organisations
from engine.directory import demo_user
from engine.library import Library

DEMO_PASSWORD = "kaigoflow-demo"  # noqa: S105 - printed on the start page on purpose: demo data only


@dataclass(frozen=True)
class DemoLogin:
    municipality: str
    organisation: str
    role: str
    login: str


def seed(session: Session, library: Library) -> list[DemoLogin]:
    """Create (once) two staff members in each demo organisation of every municipality."""
    logins = []
    password_hash = generate_password_hash(DEMO_PASSWORD)
    for municipality in sorted(library.municipalities().values(), key=lambda m: m.key):
        for role, organisations in demo_organisations(session, municipality).items():
            for org in organisations:
                for index in (1, 2):
                    user = demo_user(session, org, index, password_hash=password_hash)
                    if index == 1:
                        logins.append(DemoLogin(municipality.name, org.name, role, user.login))
    session.commit()
    return logins
