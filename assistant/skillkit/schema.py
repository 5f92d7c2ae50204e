"""JSON schema from a skill function's type hints, and argument validation against that schema.

Supported parameter types: ``str``, ``int``, ``float``, ``bool``, ``Literal[...]``, ``list[str]``,
each optionally ``X | None`` and wrapped in ``Annotated[X, "description"]``. Anything else is
refused when the skill is defined, so a broken skill fails at import, not in front of a user.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from assistant.errors import SkillError

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


@dataclass(frozen=True, slots=True)
class Param:
    """One argument of a skill as the tool schema describes it."""

    name: str
    schema: dict[str, Any]
    required: bool
    kind: Any
    """The Python type after Optional/Annotated are unwrapped (used for validation)."""


def _unwrap(tp: Any) -> tuple[Any, str, bool]:
    """(inner type, description, optional) from ``Annotated[X | None, "desc"]``."""
    desc = ""
    optional = False
    if get_origin(tp) is Annotated:
        base, *meta = get_args(tp)
        desc = " ".join(m for m in meta if isinstance(m, str))
        tp = base
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        optional = len(args) < len(get_args(tp))
        if len(args) != 1:
            raise TypeError(f"unions other than X | None are not supported: {tp!r}")
        tp = args[0]
        if get_origin(tp) is Annotated:
            inner, d2, _ = _unwrap(tp)
            return inner, desc or d2, True
    return tp, desc, optional


def type_schema(tp: Any) -> dict[str, Any]:
    """The JSON schema of one supported type; TypeError for anything else."""
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    origin = get_origin(tp)
    if origin is Literal:
        values = get_args(tp)
        kinds = {type(v) for v in values}
        if kinds <= {str}:
            return {"type": "string", "enum": list(values)}
        if kinds <= {int}:
            return {"type": "integer", "enum": list(values)}
        raise TypeError(f"Literal values must all be str or all int: {tp!r}")
    if origin is list and get_args(tp) == (str,):
        return {"type": "array", "items": {"type": "string"}}
    raise TypeError(
        f"unsupported parameter type {tp!r}; use str, int, float, bool, Literal[...], list[str]"
        " (optionally | None and Annotated[..., 'description'])"
    )


def param(name: str, annotation: Any, has_default: bool) -> Param:
    tp, desc, optional = _unwrap(annotation)
    schema = type_schema(tp)
    if desc:
        schema["description"] = desc
    return Param(name, schema, required=not (has_default or optional), kind=tp)


def object_schema(params: list[Param]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {p.name: p.schema for p in params},
        "required": [p.name for p in params if p.required],
        "additionalProperties": False,
    }


def _coerce(value: Any, p: Param, skill: str) -> Any:
    tp = p.kind
    bad = SkillError(
        f"argument {p.name!r} of {skill} must be {p.schema.get('type')}"
        + (f" (one of {p.schema['enum']})" if "enum" in p.schema else "")
        + f", got {value!r}",
        code="bad_argument",
    )
    if get_origin(tp) is Literal:
        if value in get_args(tp):
            return value
        if isinstance(value, str):
            for v in get_args(tp):
                if isinstance(v, str) and v.casefold() == value.strip().casefold():
                    return v
        raise bad
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise bad
    if tp in (int, float):
        if isinstance(value, bool):
            raise bad
        if isinstance(value, str):
            try:
                value = float(value.strip().rstrip("%"))
            except ValueError:
                raise bad from None
        if isinstance(value, int | float):
            if tp is int:
                if float(value) != int(value):
                    raise bad
                return int(value)
            return float(value)
        raise bad
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise bad
    if get_origin(tp) is list:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise bad
    return value


def validate(args: dict[str, Any], params: list[Param], skill: str) -> dict[str, Any]:
    """Checked and coerced arguments; SkillError names the first unknown, missing or bad one."""
    if not isinstance(args, dict):
        raise SkillError(f"arguments of {skill} must be an object, got {args!r}", code="bad_argument")
    by_name = {p.name: p for p in params}
    out: dict[str, Any] = {}
    for k, v in args.items():
        if k not in by_name:
            allowed = ", ".join(by_name) or "none"
            raise SkillError(f"{skill} has no argument {k!r}; allowed: {allowed}", code="bad_argument")
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        out[k] = _coerce(v, by_name[k], skill)
    missing = [p.name for p in params if p.required and p.name not in out]
    if missing:
        raise SkillError(f"{skill} needs {', '.join(missing)}", code="missing_argument")
    return out
