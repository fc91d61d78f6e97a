"""The shape every form handler has; most only check a few cross-field rules and derive nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.process_library.forms import FormContext


class Handler:
    """A form handler (engine.process_library.forms.FormHandler): override `validate`, `derive`, or both."""

    form = ""

    def validate(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, str]:
        return {}

    def derive(self, submission: Mapping[str, Any], context: FormContext) -> dict[str, Any]:
        return {}
