"""Demo organisations, staff and cases for every municipality in processes/, so a newcomer can sign in at once.

Besides two just-opened cases per municipality (their 相談受付 waiting), the demo tells engine.demo_stories (a plan
in force, an overdue モニタリング, a 更新 due, a 暫定 plan, a 福祉用具 協議) and keeps a worker ticking, so 期限,
リスク and 報告 have something true to show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine import demo_stories
from engine.accounts.demo_staff import DEMO_ORGS
from engine.accounts.demo_staff import STAFF_ROLES
from engine.accounts.demo_staff import demo_organisations
from engine.accounts.demo_staff import demo_user
from engine.clock import today as clock_today
from engine.errors import KaigoflowError
from engine.execution.runtime import Actor
from engine.execution.runtime import Runtime
from engine.operations import worker_tick
from engine.process_library.loader import Library
from engine.services import Services
from engine.store.models import Case
from engine.store.models import Organisation
from engine.store.models import ProcessInstance
from engine.store.models import User

PROCESS_OWNER = "process_owner"
DEMO_PASSWORD = "kaigoflow-demo"  # noqa: S105 - printed on the start page on purpose: demo data only

ADMIN_ORG_CODE = "admin"
ADMIN_LOGIN = "admin-1"
"""The demo administrator: compares the municipalities' flows (/admin), works on no case."""

DEMO_CLIENTS = (
    # (name, kana, care level, delegated to the office)
    ("デモ 花子", "デモ ハナコ", "shien1", False),
    ("デモ 一郎", "デモ イチロウ", "kaigo1", True),
)


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
        owner = demo_process_owner(session, municipality.key, password_hash)
        if owner is not None:
            logins.append(DemoLogin(municipality.name, owner[1].name, PROCESS_OWNER, owner[0].login))
    admin = seed_admin(session, library, password_hash)
    if admin is not None:
        logins.append(admin)
    session.commit()
    return logins


def seed_admin(session: Session, library: Library, password_hash: str) -> DemoLogin | None:
    """Create (once) the demo administrator, in an organisation of its own with the role "admin".

    The organisation is filed under the first municipality only because every organisation belongs to one; the
    administrator's pages read every municipality.
    """
    municipalities = sorted(library.municipalities().values(), key=lambda m: m.key)
    if not municipalities:
        return None
    org = session.scalar(select(Organisation).where(Organisation.code == ADMIN_ORG_CODE))
    if org is None:
        org = Organisation(municipality=municipalities[0].key, role="admin", name="運用管理(デモ)", code=ADMIN_ORG_CODE)
        session.add(org)
        session.flush()
    user = _demo_account(session, ADMIN_LOGIN, "業務管理者", org, password_hash, is_admin=True)
    return DemoLogin("全市町村", org.name, "admin", user.login)


def demo_process_owner(
    session: Session, municipality: str, password_hash: str = ""
) -> tuple[User, Organisation] | None:
    """Create (once) the municipality's demo process owner (業務フロー管理者), a member of its insurer section."""
    insurer = session.scalar(select(Organisation).where(Organisation.code == f"{municipality}-insurer-1"))
    if insurer is None:
        return None
    user = _demo_account(
        session, f"{municipality}-owner", "業務フロー管理者", insurer, password_hash, is_process_owner=True
    )
    return user, insurer


def _demo_account(
    session: Session, login: str, display_name: str, org: Organisation, password_hash: str, **capability: bool
) -> User:
    """The demo user with this login, created once with the capability (`is_admin`, `is_process_owner`)."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        user = User(
            login=login,
            display_name=display_name,
            password_hash=password_hash,
            organisation_id=org.id,
            **capability,
        )
        session.add(user)
        session.flush()
    return user


def demo_logins(session: Session, library: Library) -> list[DemoLogin]:
    """The first demo login of each demo organisation that exists in the database (none in production)."""
    wanted: dict[str, tuple[str, str]] = {}
    for municipality in sorted(library.municipalities().values(), key=lambda m: m.key):
        for role in STAFF_ROLES:
            for index in range(1, len(DEMO_ORGS[role]) + 1):
                wanted[f"{municipality.key}-{role}-{index}-1"] = (municipality.name, role)
    if not wanted:
        return []
    rows = session.execute(
        select(User.login, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.login.in_(list(wanted)), User.active.is_(True))
    ).all()
    found = {login: name for login, name in rows}
    logins = [
        DemoLogin(muni_name, found[login], role, login) for login, (muni_name, role) in wanted.items() if login in found
    ]
    admin = session.scalar(
        select(Organisation.name)
        .join(User, User.organisation_id == Organisation.id)
        .where(User.login == ADMIN_LOGIN, User.active.is_(True), User.is_admin.is_(True))
    )
    if admin is not None:
        logins.append(DemoLogin("全市町村", admin, "admin", ADMIN_LOGIN))
    owners = session.execute(
        select(User.login, Organisation.name, Organisation.municipality)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.login.like("%-owner"), User.is_process_owner.is_(True), User.active.is_(True))
        .order_by(User.login)
    ).all()
    names = {m.key: m.name for m in library.municipalities().values()}
    logins.extend(DemoLogin(names.get(m, m), org, PROCESS_OWNER, login) for login, org, m in owners if m in names)
    return logins


def seed_cases(session: Session, library: Library, runtime: Runtime) -> list[str]:
    """Open (once) two demo cases in each municipality that has a 新規 flow, and start it; return what was done.

    A municipality whose flow cannot be loaded is skipped with the reason, so the demo still starts.
    """
    report = []
    for number, municipality in enumerate(sorted(library.municipalities().values(), key=lambda m: m.key), 1):
        if "new_case" not in library.flows(municipality.key):
            continue
        orgs = demo_organisations(session, municipality)
        center, office = orgs["center"][0], orgs["office"][0]
        user = demo_user(session, center)
        session.commit()
        actor = Actor(user_id=user.id, organisation_id=center.id, role="center")
        for index, (name, kana, level, delegated) in enumerate(DEMO_CLIENTS, 1):
            insured_number = f"99{number:04d}{index:04d}"
            case = session.scalar(
                select(Case).where(Case.municipality == municipality.key, Case.insured_number == insured_number)
            )
            try:
                if case is None:
                    case = runtime.open_case(
                        session,
                        municipality.key,
                        actor,
                        client_name=name,
                        client_name_kana=kana,
                        insured_number=insured_number,
                        care_level=level,
                        delegated=delegated,
                        center_org_id=center.id,
                        office_org_id=office.id,
                        insurer_org_id=orgs["insurer"][0].id,
                        provider_org_id=orgs["provider"][0].id,
                    )
                elif session.scalar(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id).limit(1)):
                    continue
                runtime.start(session, case.id, "new_case", actor=actor)
            except KaigoflowError as exc:
                session.rollback()
                report.append(f"{municipality.name}: デモケースを作れませんでした({exc.message})")
                break
            report.append(f"{municipality.name}: デモケース「{name}」(被保険者番号 {insured_number})")
    return report


def seed_stories(session: Session, services: Services, today: date, only: Collection[str] | None = None) -> list[str]:
    """The demo's cases at several stages (engine.demo_stories), told once through the real flows."""
    return demo_stories.seed(session, services.library, services.runtime, today, only)


class DemoWorker:
    """`kaigoflow demo`'s background thread: tell the stories, then fire due timers and duties every `interval`
    seconds, as `kaigoflow worker` does, so the monthly モニタリング and the 更新 start on their day.

    A thread (not a process) so the demo stays one command; it stops with the command (daemon) or on stop().
    """

    def __init__(self, services: Services, interval: float = 30.0, say: Callable[[str], None] = print) -> None:
        self.services = services
        self.interval = interval
        self.say = say
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="kaigoflow-demo-worker", daemon=True)

    def start(self) -> DemoWorker:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def run(self) -> None:
        runtime = self.services.runtime()
        try:
            with self.services.sessions() as session:
                for line in seed_stories(session, self.services, clock_today(runtime.clock)):
                    self.say(f"  {line}")
        except Exception as failure:  # the demo still serves and ticks without its stories
            self.say(f"事例のケースを用意できませんでした: {failure}")
        self.say("デモのワーカーが期限の来たタイマー・定期業務を実行しています")
        name = f"demo-worker-{time.time_ns()}"
        while not self.stopping.is_set():
            fired = self.tick(runtime, name)
            if not fired:
                self.stopping.wait(self.interval)

    def tick(self, runtime: Runtime, name: str) -> int:
        # The same round as `kaigoflow worker`: timers and duties, publish jobs queued from the owners' pages,
        # and the heartbeat /healthz reads.
        with self.services.sessions() as session:
            return worker_tick.work_once(self.services, session, runtime, name, self.say)
