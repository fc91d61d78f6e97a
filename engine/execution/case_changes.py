"""Changes to a case outside its flows: opening it, recomputing its schedule, a duty recorded done or excused."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock as clock_module
from engine.cases import access
from engine.cases import facts as casedata
from engine.cases import opening
from engine.errors import NotFoundError
from engine.errors import ValidationError
from engine.execution.spec_cache import SpecCache
from engine.execution.transactions import SYSTEM
from engine.execution.transactions import Actor
from engine.execution.transactions import _memo
from engine.scheduling import duties
from engine.scheduling import schedule
from engine.store.models import Case
from engine.store.models import ScheduleItem


class CaseChanges(SpecCache):
    """Opening a case, its schedule, duties recorded by hand."""

    # -- cases ------------------------------------------------------------------------------------

    def open_case(self, session: Session, municipality: str, actor: Actor = SYSTEM, **fields: Any) -> Case:
        """Create a case (利用者 episode) in a municipality with its first facts and responsible organisations.

        Unknown fields, values of the wrong type and organisations of the wrong kind are refused
        (engine/cases/opening.validate_opening); `planner` defaults from `delegated` and the care level.
        """
        self._may_start(actor)
        self.library.municipality(municipality)
        with self._transaction(session):
            values = opening.validate_opening(session, municipality, fields)
            case = Case(municipality=municipality, created_at=self.clock.now(), data={})
            extra = {k: casedata.stored(v) for k, v in values.items() if k in casedata.DATA_FACTS}
            for key, value in values.items():
                if key not in casedata.DATA_FACTS:
                    setattr(case, key, value)
            case.data = extra
            session.add(case)
            session.flush()
            detail = {"municipality": municipality, "facts": {k: v for k, v in casedata.facts_of(case).items() if v}}
            self._event(session, actor, "case_opened", case_id=case.id, detail=detail)
            self._refresh(session, case)
        return case

    # -- schedules and risks ----------------------------------------------------------------------

    def refresh_schedule(self, session: Session, case_id: int) -> list[ScheduleItem]:
        """Recompute a case's schedule, risks and duty timers now (engine.scheduling.schedule.refresh)."""
        with self._transaction(session):
            self._lock_case(session, case_id)
            keys = self._refresh(session, self._case(session, case_id, SYSTEM))
            query = select(ScheduleItem).where(ScheduleItem.case_id == case_id, ScheduleItem.key.in_(keys))
            return list(session.scalars(query))

    def record_duty(
        self, session: Session, item_id: int, actor: Actor, done_on: date | None = None, note: str = ""
    ) -> ScheduleItem:
        """Record a duty no flow records (給付管理, 負担割合証, 廃棄) as done; the event is the record."""
        with self._transaction(session):
            item = self._schedule_item(session, item_id, actor)
            if item.duty not in duties.MANUAL:
                raise ValidationError(
                    "この業務は手続きの中で記録します", details={"item": "対応する作業(帳票)を完了してください"}
                )
            today = clock_module.today(self.clock)
            day = done_on or today
            if day > today:
                raise ValidationError("実施日が正しくありません", details={"done_on": "今日以前の日付にしてください"})
            detail = {"schedule_key": item.key, "duty": item.duty, "done_on": day.isoformat(), "note": note[:500]}
            self._event(session, actor, "duty_recorded", case_id=item.case_id, detail=detail)
            session.flush()
            self._refresh(session, self._case(session, item.case_id, actor))
        return item

    def record_special_circumstances(self, session: Session, item_id: int, reason: str, actor: Actor) -> ScheduleItem:
        """Record the 特段の事情 (the client's reasons, never the staff's) that excuse a missed visit or contact."""
        reason = (reason or "").strip()
        with self._transaction(session):
            item = self._schedule_item(session, item_id, actor)
            if item.duty not in duties.EXCUSABLE:
                raise ValidationError(
                    "特段の事情はモニタリング・居宅訪問にだけ記録できます",
                    details={"reason": "この業務には特段の事情を記録できません"},
                )
            if not reason:
                raise ValidationError(
                    "特段の事情を入力してください",
                    details={"reason": "面接できなかった利用者側の事情を具体的に記録してください(003:617)"},
                )
            if len(reason) > 2000:
                raise ValidationError("特段の事情が長すぎます", details={"reason": "2000文字以内で入力してください"})
            detail = {"schedule_key": item.key, "duty": item.duty, "period": item.period, "reason": reason}
            self._event(session, actor, "special_circumstances_recorded", case_id=item.case_id, detail=detail)
            session.flush()
            self._refresh(session, self._case(session, item.case_id, actor))
        return item

    def _schedule_item(self, session: Session, item_id: int, actor: Actor) -> ScheduleItem:
        item = session.get(ScheduleItem, item_id)
        if item is not None:
            self._lock_case(session, item.case_id)
        case = session.get(Case, item.case_id) if item else None
        if item is None or case is None:
            raise NotFoundError("予定が見つかりません")
        if not actor.system and not access.can_see_case(case, actor.organisation_id):
            raise NotFoundError("予定が見つかりません")
        return item

    def _refresh(self, session: Session, case: Case) -> list[str]:
        # Two mutations of one case (a form and the worker's check) must not write its schedule rows at once:
        # the row lock orders them on PostgreSQL (SQLite has one writer anyway).
        if case.id not in _memo(session)["locked"]:
            session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        self._write_events(session)  # the refresh reads the duty records among them
        params = self.params(session, case.municipality)
        decide = schedule.remembered_decisions(self.python_decisions, params) if self.python_decisions else None
        return schedule.refresh(session, case, params, decide, self.clock.now())
