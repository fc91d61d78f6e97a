"""Tables: one schema for SQLite and PostgreSQL (ARCHITECTURE.md, Persistence).

Models sit on a plain DeclarativeBase so the engine runs with a bare Session; the web app wraps the same
metadata with Flask-SQLAlchemy (`SQLAlchemy(model_class=Base)`).
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any
from typing import ClassVar

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import event as sa_event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator

from engine.store import append_only
from engine.store import schedule_generation

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC on every backend (SQLite keeps no offset, so mixed zones would misorder)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the engine stores aware datetimes only")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _tz() -> UTCDateTime:
    return UTCDateTime()


class Organisation(Base):
    """A 地域包括支援センター, 居宅介護支援事業所, insurer section or service provider in one municipality."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    """事業所番号 (10 digits; 保険者番号, 6 digits, for an insurer section); demo organisations use a text key."""
    address: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    """False once closed: kept (cases and history name it), no longer offered for new staff or cases."""
    proxy_receipt_mandate_filed_on: Mapped[date | None] = mapped_column(Date)
    """代理受領委任状の提出日: a 居宅介護支援事業所 files it once, at its 委託契約, with the insurer (豊川 001:8-22);
    a fact of the office, not of a case. None while not filed (or not known)."""


class User(Base):
    """A staff member. Passwords are stored only as hashes (web/auth.py)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    is_process_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(_tz())
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Part of every session and API token of the user: signing out raises it, and all of them stop working."""
    job_role: Mapped[str] = mapped_column(String(32), default="staff", server_default="staff")
    """職種 (engine/accounts/staff.py JOB_ROLES): what the person is, not what they may do (that is the organisation's
    role)."""
    care_manager_number: Mapped[str | None] = mapped_column(String(8))
    """介護支援専門員番号 (8 digits), for 介護支援専門員 and 主任介護支援専門員 only."""
    is_municipal_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Manages the organisations and staff of their own organisation's municipality (web/staff_admin.py)."""
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Set by an administrator's one-time reset: the next sign-in must choose a new password first."""


class Case(Base):
    """One 利用者's episode of care in one municipality: the durable data that outlives any process instance."""

    __tablename__ = "care_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    insured_number: Mapped[str | None] = mapped_column(String(10), index=True)
    client_name: Mapped[str | None] = mapped_column(String(100))
    client_name_kana: Mapped[str | None] = mapped_column(String(100))
    care_level: Mapped[str | None] = mapped_column(String(16))
    certification_start: Mapped[date | None] = mapped_column(Date)
    certification_end: Mapped[date | None] = mapped_column(Date)
    delegated: Mapped[bool] = mapped_column(Boolean, default=False)
    """Only: a center delegated its 介護予防支援 to the office (委託). Who writes the plan is `planner`."""
    planner: Mapped[str] = mapped_column(String(8), default="center", server_default="center")
    """Who writes the plan: "center" (地域包括支援センター) or "office" (居宅介護支援事業所)."""
    care_management_type: Mapped[str | None] = mapped_column(String(1))
    plan_start: Mapped[date | None] = mapped_column(Date)
    plan_end: Mapped[date | None] = mapped_column(Date)
    center_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    office_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    insurer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(_tz())
    ended_at: Mapped[datetime | None] = mapped_column(_tz())
    version: Mapped[int] = mapped_column(Integer, default=1)
    schedule_generation: Mapped[int | None] = mapped_column(BigInteger, default=schedule_generation.first_generation)
    """A random value from the case's creation, and a new one whenever a schedule row, risk or duty timer of the case
    is written (triggers: engine/store/schedule_generation.py); the refresh's copy of those rows is trusted only while
    it is unchanged."""


class SpecVersion(Base):
    """A resolved flow (diagrams, forms, decision tables), stored once per content hash."""

    __tablename__ = "spec_version"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(64))
    process_key: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(_tz())
    published_at: Mapped[datetime | None] = mapped_column(_tz())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_spec_version_muni_key", "municipality", "process_key"),)


class ProcessInstance(Base):
    """A running or finished workflow; `state` is Spiff's serialization without the spec."""

    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    spec_hash: Mapped[str] = mapped_column(ForeignKey("spec_version.hash"))
    status: Mapped[str] = mapped_column(String(16), default="running")
    state: Mapped[dict[str, Any]] = mapped_column()
    period: Mapped[str | None] = mapped_column(String(16))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(_tz())
    ended_at: Mapped[datetime | None] = mapped_column(_tz())


class Task(Base):
    """The task projection: one row per human task. Inboxes read only this table."""

    __tablename__ = "task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"), index=True)
    municipality: Mapped[str] = mapped_column(String(64))
    process_key: Mapped[str] = mapped_column(String(64))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    form: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date | None] = mapped_column(Date)
    ready_at: Mapped[datetime] = mapped_column(_tz())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(_tz())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    completed_at: Mapped[datetime | None] = mapped_column(_tz())
    __table_args__ = (
        Index("ix_task_inbox", "organisation_id", "state", "due_date"),
        Index("ix_task_claimed", "claimed_by_id", "state"),
        # The inbox's two lists in due-date order straight from the index, and their counts without table reads:
        # an organisation's unclaimed tasks (claimed_by_id IS NULL) and one person's (claimed_by_id = me).
        Index("ix_task_queue", "organisation_id", "state", "claimed_by_id", "due_date"),
    )


class TaskDraft(Base):
    """Unsubmitted form input, kept per task and user so nothing typed is lost."""

    __tablename__ = "task_draft"
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    saved_at: Mapped[datetime] = mapped_column(_tz())


class Timer(Base):
    """Something to do at a time: a BPMN timer to fire, or a duty (a process to start) from a schedule."""

    __tablename__ = "timer"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(120))
    fire_at: Mapped[datetime] = mapped_column(_tz())
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(_tz())
    fired_at: Mapped[datetime | None] = mapped_column(_tz())
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "key", name="uq_timer_case_kind_key"),
        Index("ix_timer_due", "fired_at", "fire_at"),
    )


class Document(Base):
    """An immutable snapshot of one submitted form: what was recorded, by whom, when."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str] = mapped_column(ForeignKey("task.id"), unique=True)
    form: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column()
    schema: Mapped[dict[str, Any]] = mapped_column()
    spec_hash: Mapped[str] = mapped_column(String(64))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[datetime] = mapped_column(_tz())
    __table_args__ = (UniqueConstraint("case_id", "form", "version", name="uq_document_case_form_ver"),)


class Event(Base):
    """The append-only audit log: who did what to which case or task, when, from where."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(_tz(), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("care_case.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str | None] = mapped_column(String(64))


class ProcessVersion(Base):
    """An immutable published version of one municipality's files: number, who, when, why, the whole bundle."""

    __tablename__ = "process_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    bundle_hash: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, Any]] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(100))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[datetime] = mapped_column(_tz())
    __table_args__ = (UniqueConstraint("municipality", "number", name="uq_process_version_muni_number"),)


class ProcessDraft(Base):
    """A municipality's files being edited, kept apart from what runs; one shared draft per municipality."""

    __tablename__ = "process_draft"
    municipality: Mapped[str] = mapped_column(String(64), primary_key=True)
    base_number: Mapped[int] = mapped_column(Integer)
    files: Mapped[dict[str, Any]] = mapped_column()
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(_tz())
    version: Mapped[int] = mapped_column(Integer, default=1)


class RetentionPurge(Base):
    """Cases being deleted at the end of their retention period: only then may their events be deleted.

    Written and emptied by engine/store/retention.py within one transaction; the event table's triggers
    (engine/store/append_only.py) refuse every other UPDATE or DELETE of an event.
    """

    __tablename__ = "retention_purge"
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    started_at: Mapped[datetime] = mapped_column(_tz())


for _statement in append_only.ddl():
    sa_event.listen(Event.__table__, "after_create", _statement)


class ScheduleItem(Base):
    """One dated duty of a case (DOMAIN.md §11): computed from the case and its records, read by the boards.

    `status` is `open`, `done`, `missed` (due date passed without the record) or `excused` (特段の事情 recorded).
    `key` is `<duty>:<period>` and stays the same while the duty is the same, so a recomputation updates the row.
    """

    __tablename__ = "schedule_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"))
    key: Mapped[str] = mapped_column(String(120))
    duty: Mapped[str] = mapped_column(String(40))
    period: Mapped[str | None] = mapped_column(String(16))
    window_start: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    done_on: Mapped[date | None] = mapped_column(Date)
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    rule: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(_tz())
    __table_args__ = (
        UniqueConstraint("case_id", "key", name="uq_schedule_item_case_key"),
        Index("ix_schedule_item_board", "organisation_id", "status", "due_date"),
    )


class Risk(Base):
    """A compliance risk (DOMAIN.md §12) raised from what was or was not recorded; cleared when the record arrives."""

    __tablename__ = "risk"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"))
    key: Mapped[str] = mapped_column(String(160))
    code: Mapped[str] = mapped_column(String(40))
    duty_key: Mapped[str | None] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(16))
    since: Mapped[date] = mapped_column(Date)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    rule: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime] = mapped_column(_tz())
    cleared_at: Mapped[datetime | None] = mapped_column(_tz())
    __table_args__ = (
        UniqueConstraint("case_id", "key", name="uq_risk_case_key"),
        Index("ix_risk_open", "organisation_id", "cleared_at"),
    )


class CalendarToken(Base):
    """A revocable secret for one user's iCalendar feed (calendar apps cannot sign in); only its hash is kept."""

    __tablename__ = "calendar_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(_tz())
    revoked_at: Mapped[datetime | None] = mapped_column(_tz())


class WorkerHeartbeat(Base):
    """The last tick of each worker (`kaigoflow worker` / `tick`), so /healthz can tell a stopped worker apart."""

    __tablename__ = "worker_heartbeat"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(_tz())
    last_tick_at: Mapped[datetime] = mapped_column(_tz(), index=True)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    """Jobs done since the worker started."""


class RenderedPdf(Base):
    """A document's 帳票 as last printed, kept so an immutable document is not laid out again on every download.

    `key` hashes everything the PDF was made of (the page's HTML, the style sheet, the PDF engine's version): when
    the case's header facts or a template change, the key changes and the PDF is drawn again (web/pdf_cache.py).
    """

    __tablename__ = "rendered_pdf"
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(_tz())


class ExportJob(Base):
    """A request for one case's record (運営指導 用の記録一式 ZIP), built by a worker while the page shows progress.

    `status` goes queued → running → done (the ZIP is in `archive` until retention deletes the case) or failed
    (`message`). `done` of `total` documents are in the ZIP so far. Only the person who asked (`actor_id`) may
    download it; the download is recorded as the `case_exported` event. Claimed like a publish job.
    """

    __tablename__ = "export_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("care_case.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    archive: Mapped[bytes | None] = mapped_column(LargeBinary)
    filename: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(_tz())
    started_at: Mapped[datetime | None] = mapped_column(_tz())
    finished_at: Mapped[datetime | None] = mapped_column(_tz())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(_tz())


class PublishJob(Base):
    """A request to publish a municipality's draft, run by a worker: its scenarios, then the new version.

    The owner's page polls `done` of `total` scenarios; `status` goes queued → running → published, or refused
    (a scenario failed, or the draft changed meanwhile) or failed (the run itself broke). Claimed like a timer.
    """

    __tablename__ = "publish_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    draft_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(100))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    current: Mapped[str | None] = mapped_column(String(200))
    failures: Mapped[list[Any]] = mapped_column(default=list)
    message: Mapped[str | None] = mapped_column(Text)
    number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(_tz())
    started_at: Mapped[datetime | None] = mapped_column(_tz())
    finished_at: Mapped[datetime | None] = mapped_column(_tz())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(_tz())


for _model in (Case, Timer, ScheduleItem, Risk):
    for _statement in schedule_generation.ddl(_model.__tablename__):
        sa_event.listen(_model.__table__, "after_create", _statement)
