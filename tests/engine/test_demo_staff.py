"""The demo organisations and staff are made once: asked again, the same rows come back, in the order asked for."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from engine.accounts.demo_staff import DEMO_ORGS
from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.accounts.demo_staff import demo_users
from engine.store.models import Organisation
from engine.store.models import User


def test_organisations_and_staff_are_made_once_and_come_back_in_the_order_asked(fixture_services, session):
    municipality = fixture_services.library.municipality("demo")
    first = demo_organisations(session, municipality)
    again = demo_organisations(session, municipality)
    assert {role: [org.id for org in orgs] for role, orgs in again.items()} == {
        role: [org.id for org in orgs] for role, orgs in first.items()
    }
    assert [org.code for org in first["center"]] == ["demo-center-1", "demo-center-2"]
    assert session.scalar(select(func.count()).select_from(Organisation)) == sum(map(len, DEMO_ORGS.values()))

    center, office = first["center"][0], first["office"][0]
    one = demo_user(session, office, 1, password_hash="x")
    users = demo_users(session, [(center, 2), (office, 1), (center, 1)], password_hash="x")
    assert [user.login for user in users] == ["demo-center-1-2", "demo-office-1-1", "demo-center-1-1"]
    assert users[1].id == one.id
    assert users[0].id < users[2].id  # made in the order asked for
    assert [user.display_name for user in users] == [
        "地域包括支援センター職員2",
        "居宅介護支援事業所職員1",
        "地域包括支援センター職員1",
    ]
    session.commit()
    assert session.scalar(select(func.count()).select_from(User)) == 3
