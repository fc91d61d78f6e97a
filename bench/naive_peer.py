"""The naive design SpiffWorkflow's documentation suggests, as a peer for engine_bench.py (issue 14 goal 2).

One workflow per case, serialized whole with SpiffWorkflow's own serializer into one JSON row; the case's monthly
モニタリング is one loop in that workflow (a user task, and a gateway back to it while the case runs). A completion
is what a request of that design does: new session, load the row, deserialize, complete the ready task with the
form's data, run the engine steps, serialize, update the row, commit. Nothing else is kept: no task rows, no
documents, no events, no schedule. Its cost grows with the case's age, because every completed month stays in the
task tree that is loaded and written each time.
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Column
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import select
from sqlalchemy import update

LOOP = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="naive" targetNamespace="naive">
  <bpmn:process id="monitoring_loop" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="to_month" sourceRef="start" targetRef="month" />
    <bpmn:userTask id="month" name="monitoring" />
    <bpmn:sequenceFlow id="to_gate" sourceRef="month" targetRef="gate" />
    <bpmn:exclusiveGateway id="gate" default="again" />
    <bpmn:sequenceFlow id="again" sourceRef="gate" targetRef="month" />
    <bpmn:sequenceFlow id="done" sourceRef="gate" targetRef="end">
      <bpmn:conditionExpression>case_ended</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

TABLE = Table(
    "naive_workflow",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("state", Text, nullable=False),
)


def _spec() -> Any:
    parser = BpmnParser()
    parser.add_bpmn_xml(etree.fromstring(LOOP), filename="naive.bpmn")
    return parser.get_spec("monitoring_loop")


class NaivePeer:
    """The naive design on the benchmark's database: one row per case."""

    def __init__(self, engine: Any, sessions: Any) -> None:
        self.sessions = sessions
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
        self.spec = _spec()
        TABLE.create(engine, checkfirst=True)

    def open_case(self) -> int:
        workflow = BpmnWorkflow(self.spec)
        workflow.do_engine_steps()
        with self.sessions() as session:
            row_id = session.execute(TABLE.insert().values(state=self._dump(workflow))).inserted_primary_key[0]
            session.commit()
        return int(row_id)

    def complete(self, row_id: int, submission: dict[str, Any]) -> int:
        """One month's completion as a request of the naive design makes it; returns the state's size in bytes."""
        with self.sessions() as session:
            state = session.scalar(select(TABLE.c.state).where(TABLE.c.id == row_id))
            workflow = self.serializer.from_dict(json.loads(state))
            [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
            task.data.update({**submission, "case_ended": False})
            task.run()
            workflow.do_engine_steps()
            dumped = self._dump(workflow)
            session.execute(update(TABLE).where(TABLE.c.id == row_id).values(state=dumped))
            session.commit()
        return len(dumped)

    def _dump(self, workflow: BpmnWorkflow) -> str:
        return json.dumps(self.serializer.to_dict(workflow), default=str)
