"""Declarative config schemas: one pydantic model per env family, the single source of truth.

A family declares its config once, as a :class:`ConfigSchema` subclass whose fields carry
the type, default, unit, range and meaning of each key::

    class ReceptionConfig(ConfigSchema):
        tx_power_dbm: Number = setting(23.0, "UE transmit power", unit="dBm", ge=-40, le=40)

From it come the defaults (:meth:`ConfigSchema.defaults`), validation of user overrides
(:meth:`ConfigSchema.resolve`, which raises :class:`ConfigError` naming the key, the value,
what was expected and how to fix it) and the config tables of the docstrings, the README and
``wmoe envs --describe`` (:meth:`ConfigSchema.rows`, :func:`markdown_table`). Scalars are
strict: a bool is not an int, a string is not a bool, NaN and infinities are not numbers.
NumPy scalars are accepted as their Python values. Cross-field rules are ``model_validator``
methods of the schema.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import annotated_types
import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError
from pydantic.fields import FieldInfo


class ConfigError(ValueError):
    """A config names an unknown key or holds a value its schema does not allow."""


def _python_scalar(value: Any) -> Any:
    """NumPy scalars as their Python values (``np.int64(3)`` -> ``3``); anything else as is."""
    return value.item() if isinstance(value, np.generic) else value


Int = Annotated[int, BeforeValidator(_python_scalar), Strict()]
"""An integer; bools, floats and strings are rejected."""
Number = Annotated[float, BeforeValidator(_python_scalar), Strict()]
"""A finite real number (int or float); bools, strings, complex, NaN and inf are rejected."""
Flag = Annotated[bool, BeforeValidator(_python_scalar), Strict()]
"""True or False; ``"no"``, ``"False"``, 0 and 1 are rejected."""
Text = Annotated[str, Strict()]
"""A string."""


def setting(
    default: Any,
    meaning: str,
    *,
    unit: str = "",
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
) -> Any:
    """Declare one config key: its default, meaning, unit and bounds.

    Args:
        default: The default value (lists are copied for each config).
        meaning: One line saying what the key does (shown in tables and errors).
        unit: The unit of the value (``"dBm"``, ``"m"``, ``"count"``); empty when unitless.
        ge: Inclusive lower bound.
        gt: Exclusive lower bound.
        le: Inclusive upper bound.
        lt: Exclusive upper bound.
        min_length: Least number of items of a list value.
        max_length: Most number of items of a list value.
    """
    if isinstance(default, list):
        items = list(default)
        return Field(
            default_factory=lambda: copy.deepcopy(items),
            description=meaning,
            json_schema_extra={"unit": unit},
            min_length=min_length,
            max_length=max_length,
        )
    if min_length is not None or max_length is not None:
        raise ValueError(
            "min_length/max_length apply to list defaults; put them in the annotation of an "
            "optional list, e.g. Annotated[list[Int], Field(min_length=1)] | None"
        )
    return Field(
        default,
        description=meaning,
        json_schema_extra={"unit": unit},
        ge=ge,
        gt=gt,
        le=le,
        lt=lt,
    )


@dataclass(frozen=True)
class ConfigRow:
    """One key of a schema as the config tables show it.

    Attributes:
        key: Dotted key.
        default: The default value, as Python writes it.
        kind: What values it takes (``"int"``, ``"float or null"``, ``"'a' | 'b'"``).
        unit: Its unit, or ``"-"``.
        valid: The range or length it must lie in, or ``"-"``.
        meaning: What it does.
    """

    key: str
    default: str
    kind: str
    unit: str
    valid: str
    meaning: str


def _number_text(value: float) -> str:
    """A bound as people write it: ``18``, ``0.5``, ``100000``, ``2e+09``."""
    if float(value).is_integer() and abs(value) < 1e7:
        return str(int(value))
    return f"{value:g}"


@dataclass(frozen=True)
class Bounds:
    """The range of a number, or the lengths of a list, that a field or list item allows."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    shortest: int | None = None
    longest: int | None = None

    def text(self) -> str:
        """``[1, 18]``, ``> 0``, ``length 2`` and the like; ``""`` when unbounded."""
        parts = []
        low, high = self.low, self.high
        if low is not None and high is not None:
            parts.append(
                f"{'(' if self.low_open else '['}{_number_text(low)}, {_number_text(high)}"
                f"{')' if self.high_open else ']'}"
            )
        elif low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {_number_text(low)}")
        elif high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {_number_text(high)}")
        if self.shortest is not None and self.shortest == self.longest:
            parts.append(f"length {self.shortest}")
        else:
            parts += [f"length >= {self.shortest}"] if self.shortest is not None else []
            parts += [f"length <= {self.longest}"] if self.longest is not None else []
        return ", ".join(parts)


def bounds_of(constraints: list[Any]) -> Bounds:
    """The :class:`Bounds` that pydantic/annotated-types constraints declare."""
    found: dict[str, Any] = {}
    flat: list[Any] = []
    for item in constraints:
        flat.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    for item in flat:
        if isinstance(item, annotated_types.Ge):
            found.update(low=float(item.ge), low_open=False)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            found.update(low=float(item.gt), low_open=True)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            found.update(high=float(item.le), high_open=False)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            found.update(high=float(item.lt), high_open=True)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.MinLen):
            found["shortest"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            found["longest"] = item.max_length
    return Bounds(**found)


def split_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    """The base type under an ``Annotated`` chain and the constraints found along it."""
    constraints: list[Any] = []
    while typing.get_origin(annotation) is Annotated:
        annotation, *extra = typing.get_args(annotation)
        constraints.extend(extra)
    return annotation, constraints


def _kind_text(annotation: Any) -> tuple[str, str]:
    """What values an annotation takes, and the bounds inside it (of list items, say)."""
    if typing.get_origin(annotation) is Annotated:
        base, extra = split_annotated(annotation)
        kind, inner = _kind_text(base)
        own = bounds_of(extra).text()
        return kind, ", ".join(part for part in (own, inner) if part)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " | ".join(repr(option) for option in typing.get_args(annotation)), ""
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        kinds = [_kind_text(option) for option in options]
        kind = " or ".join(k for k, _ in kinds)
        if len(options) < len(typing.get_args(annotation)):
            kind += " or null"
        return kind, ", ".join(bound for _, bound in kinds if bound)
    if origin is list:
        (item,) = typing.get_args(annotation)
        kind, bound = _kind_text(item)
        return f"list of {kind}", f"items {bound}" if bound else ""
    if isinstance(annotation, type) and issubclass(annotation, ConfigSchema):
        return "mapping", ""
    names = {int: "int", float: "float", bool: "bool", str: "str"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation))), ""


def _field_default(field: FieldInfo) -> Any:
    return field.get_default(call_default_factory=True)


class ConfigSchema(BaseModel):
    """Base of the env families' config schemas (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The default configuration as a plain (nested) dict."""
        return cls().model_dump()

    @classmethod
    def resolve(cls, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The defaults with ``overrides`` merged in, validated, as a plain dict.

        Nested schemas merge key by key; any other value replaces the default.

        Raises:
            ConfigError: Naming every unknown key or invalid value, what was expected and
                how to fix it.
        """
        if overrides is None:
            overrides = {}
        if not isinstance(overrides, Mapping):
            raise ConfigError(
                f"config={overrides!r} is invalid; expected a mapping of config keys to "
                f"values, e.g. config={{'{next(iter(cls.model_fields))}': ...}}"
            )
        try:
            return cls.model_validate(dict(overrides)).model_dump()
        except ValidationError as error:
            raise ConfigError(cls.explain(error)) from None

    @classmethod
    def explain(cls, error: ValidationError) -> str:
        """One line per problem of a failed validation, each naming key, value and fix."""
        lines = []
        for problem in error.errors(include_url=False):
            location = [str(part) for part in problem["loc"]]
            if problem["type"] == "extra_forbidden":
                schema = cls._schema_at(location[:-1])
                valid = ", ".join(schema.model_fields)
                lines.append(
                    f"unknown config key {'.'.join(location)!r}; valid keys are: {valid} "
                    "(`wmoe envs --describe ENV_ID` lists them with units and ranges)"
                )
                continue
            if not location:
                message = str(problem["msg"]).removeprefix("Value error, ")
                lines.append(f"invalid config: {message}")
                continue
            key_path, row = cls._row_at(location)
            expected = row.kind
            if row.valid != "-":
                expected += f", {row.valid}"
            if row.unit != "-":
                expected += f" [{row.unit}]"
            lines.append(
                f"config{key_path}={problem['input']!r} is invalid: {problem['msg']}; "
                f"expected {expected}: {row.meaning}. The default is {row.default}"
            )
        return "\n".join(lines)

    @classmethod
    def _schema_at(cls, location: list[str]) -> type[ConfigSchema]:
        schema: type[ConfigSchema] = cls
        for part in location:
            annotation = schema.model_fields[part].annotation
            if not (isinstance(annotation, type) and issubclass(annotation, ConfigSchema)):
                break
            schema = annotation
        return schema

    @classmethod
    def _row_at(cls, location: list[str]) -> tuple[str, ConfigRow]:
        """Where an error points (``['bs_panel'][0]``) and the table row of its key."""
        schema: type[ConfigSchema] = cls
        keys: list[str] = []
        for part in location:
            if part not in schema.model_fields:
                break
            keys.append(part)
            annotation = schema.model_fields[part].annotation
            if isinstance(annotation, type) and issubclass(annotation, ConfigSchema):
                schema = annotation
                continue
            break
        row = next(r for r in cls.rows() if r.key == ".".join(keys))
        indices = [int(p) for p in location[len(keys) :] if p.isdigit()]
        return "".join(f"[{part!r}]" for part in [*keys, *indices]), row

    @classmethod
    def rows(cls, prefix: str = "") -> list[ConfigRow]:
        """The config table: one row per key (nested schemas flattened to dotted keys)."""
        rows: list[ConfigRow] = []
        for name, field in cls.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, ConfigSchema):
                rows.extend(annotation.rows(prefix=f"{prefix}{name}."))
                continue
            kind, inner = _kind_text(annotation)
            own = bounds_of(field.metadata).text()
            valid = ", ".join(part for part in (own, inner) if part) or "-"
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            rows.append(
                ConfigRow(
                    key=f"{prefix}{name}",
                    default=repr(_field_default(field)),
                    kind=kind,
                    unit=str(extra.get("unit") or "-"),
                    valid=valid,
                    meaning=field.description or "",
                )
            )
        return rows


def markdown_table(schema: type[ConfigSchema]) -> str:
    """The schema's config table in Markdown (key, default, type, unit, valid, meaning)."""
    lines = [
        "| key | default | type | unit | valid | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for row in schema.rows():
        cells = (row.key, row.default, row.kind, row.unit, row.valid, row.meaning)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def text_table(schema: type[ConfigSchema]) -> str:
    """The schema's config table as aligned plain text (for the terminal)."""
    header = ConfigRow("key", "default", "type", "unit", "valid", "meaning")
    rows = [header, *schema.rows()]
    columns = ("key", "default", "kind", "unit", "valid")
    widths = {c: max(len(getattr(r, c)) for r in rows) for c in columns}
    return "\n".join(
        "  ".join(getattr(r, c).ljust(widths[c]) for c in columns) + "  " + r.meaning for r in rows
    )


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``overrides`` merged in, nested mappings key by key.

    Keys absent from ``base`` are added (hyperparameter files are open-ended; env configs go
    through :meth:`ConfigSchema.resolve` instead).
    """
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(merged.get(key), Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
