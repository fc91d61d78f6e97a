"""Every JSON answer of /api checked against the generated OpenAPI document, in every web test that calls the API.

`install(app)` adds an `after_request` hook: the response's status must be declared for the route's operation (or
fall under its `default`), and its body must match that response's schema (JSON Schema 2020-12, as OpenAPI 3.1
defines it), with date formats checked. A mismatch raises, so the test calling the route fails with the path of the
wrong field. `SEEN` collects (method, path, status) for tests/web/test_openapi.py to show every route was checked.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import Response
from flask import request
from jsonschema import Draft202012Validator
from jsonschema import FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from web import openapi

DOCUMENT_URI = "urn:kaigoflow:openapi"
SEEN: set[tuple[str, str, str]] = set()


class ResponseMismatch(AssertionError):
    pass


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def validator_for(document: dict[str, Any], path: str, method: str, status: str) -> Draft202012Validator | None:
    """The validator of one response's JSON body, None when the response declares no JSON body."""
    responses = document["paths"][path][method]["responses"]
    key = status if status in responses else "default"
    if key not in responses:
        raise ResponseMismatch(f"{method.upper()} {path} answers {status}, which the document does not declare")
    if "schema" not in responses[key].get("content", {}).get("application/json", {}):
        return None
    pointer = _pointer("paths", path, method, "responses", key, "content", "application/json", "schema")
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/{pointer}"}, registry=registry, format_checker=FormatChecker()
    )


def install(app: Flask) -> None:
    @app.after_request
    def check_against_the_document(response: Response) -> Response:
        rule = request.url_rule
        if rule is None or not rule.rule.startswith("/api/"):
            return response
        document = app.extensions.get("openapi_document")
        if document is None:
            document = app.extensions["openapi_document"] = openapi.document(app)
        path = openapi.ARGUMENT.sub(lambda match: "{" + match.group(2) + "}", rule.rule)
        method = request.method.lower()
        if path not in document["paths"] or method not in document["paths"][path]:
            raise ResponseMismatch(f"{request.method} {path} is not in the OpenAPI document")
        status = str(response.status_code)
        validator = validator_for(document, path, method, status)
        declared = document["paths"][path][method]["responses"].get(status, {}).get("content", {})
        if response.is_json and validator is not None:
            errors = sorted(validator.iter_errors(response.get_json()), key=lambda e: list(e.absolute_path))
            if errors:
                where = "; ".join(f"{'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in errors[:5])
                raise ResponseMismatch(
                    f"{request.method} {request.path} → {status} does not match the document: {where}"
                )
        elif declared and response.mimetype not in declared:
            raise ResponseMismatch(f"{request.method} {path} → {status} answered {response.mimetype}")
        SEEN.add((method, path, status))
        return response
