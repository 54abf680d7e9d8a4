"""The OpenAPI generator (``DEFAULT_SCHEMA_CLASS``): drf-spectacular's, plus the answers
every endpoint shares, so no view has to repeat them and none can forget one.

* 401 on each operation that needs a token.
* 400 and 404 on paginated lists: a bad ``page_size``; a ``page`` that is not a page
  number or lies past the last one ("Invalid page.").
* 400, 413 and 415 on each operation with a JSON body: invalid or malformed JSON, a body
  over ``API_MAX_BODY_BYTES``, a body that is not JSON.
* ``allowEmptyValue`` on optional query parameters: DRF's serializers, django-filter
  and the paginators all read ``?name=`` as if the parameter were absent.
* ``additionalProperties: false`` on request bodies whose serializer refuses unknown
  keys (``RejectUnknownFieldsMixin``), so the schema says what the API enforces.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from rest_framework.serializers import BaseSerializer

from orchestration.serializers.fields import RejectUnknownFieldsMixin

from . import errors

SHARED_RESPONSES = {
    "401": errors.UNAUTHORIZED,
    "404": errors.PAGE_NOT_FOUND,
    "400": errors.INVALID_INPUT,
    "413": errors.PAYLOAD_TOO_LARGE,
    "415": errors.UNSUPPORTED_MEDIA_TYPE,
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        responses: dict[str, Any] = operation["responses"]
        for code in self._shared_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    SHARED_RESPONSES[code], code
                )
        return operation

    def _shared_codes(self, operation: dict[str, Any]) -> list[str]:
        codes = []
        if {} not in operation.get("security", [{}]):  # {}: anonymous callers allowed
            codes.append("401")
        paginated = self._get_paginator() is not None  # type: ignore[no-untyped-call]
        if self.method == "GET" and paginated and self._is_list_view():
            codes += ["400", "404"]
        if "requestBody" in operation:
            codes += ["400", "413", "415"]
        return list(dict.fromkeys(codes))

    def _map_basic_serializer(
        self, serializer: BaseSerializer[Any], direction: str
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(  # type: ignore[no-untyped-call]
            serializer, direction
        )
        instance = force_instance(serializer)  # type: ignore[no-untyped-call]
        if direction == "request" and isinstance(instance, RejectUnknownFieldsMixin):
            schema["additionalProperties"] = False
        return schema
