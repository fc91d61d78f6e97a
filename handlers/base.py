"""The shape every form handler has; most only check a few cross-field rules and derive nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext


class Handler:
    """A form handler (engine.process_library.forms.FormHandler): override `validate`, `derive`, or both."""

    form = ""
    reads_office = False
    """True where `validate` reads `context.office` (the case's office record): only then does the runtime fetch it."""

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        return {}

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        return {}


Data = Mapping[str, Any]


class SimpleHandler(Handler):
    """A form handler that only checks: subclasses implement `problems` over the submission, the instance data
    before it and the municipality's parameters."""

    def validate(self, submission: Data, context: FormContext) -> dict[str, str]:
        return self.problems(submission, context.data, context.params)

    def problems(self, submission: Data, data: Data, params: Data) -> dict[str, str]:
        return {}
