"""A ModelSerializer base for input: strict JSON types, no unknown keys, no uniqueness checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.validators import UniqueValidator

from .fields import (
    RejectUnknownFieldsMixin,
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)

_M = TypeVar("_M", bound=models.Model)


class StrictModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer[_M]):
    """Derives input fields from the model (lengths, ranges, choices, validators) but
    builds them from the Strict* fields, so ``"5"`` is not an integer and ``5`` not a string.

    Uniqueness is deliberately left out: the service decides it inside the write's
    transaction and answers 409 Conflict, where a pre-check here would race and say 400.
    Declared read-only fields sent in the body are refused by name rather than ignored.
    These serializers only validate; services do the writes (``save()`` is never called).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.IntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.PositiveBigIntegerField: StrictIntegerField,
        models.FloatField: StrictFloatField,
        models.BooleanField: StrictBooleanField,
    }

    def build_standard_field(
        self, field_name: str, model_field: models.Field[Any, Any]
    ) -> tuple[type[Field[Any, Any, Any, Any]], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        validators = [v for v in kwargs.get("validators", []) if not isinstance(v, UniqueValidator)]
        if validators:
            kwargs["validators"] = validators
        else:
            kwargs.pop("validators", None)
        return field_class, kwargs

    def get_validators(self) -> list[Any]:
        return []

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            read_only = sorted(
                name for name, field in self.fields.items() if field.read_only and name in data
            )
            if read_only:
                raise serializers.ValidationError(
                    {name: ["This field is read-only."] for name in read_only}
                )
        return super().to_internal_value(data)
