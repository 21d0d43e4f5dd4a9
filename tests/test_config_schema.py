"""The schema machinery of ``wmoe.config``: defaults, strict validation, messages, tables."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pytest
from pydantic import Field, model_validator

from wmoe.config import ConfigError, ConfigSchema, Flag, Int, Number, Text, markdown_table, setting


class Inner(ConfigSchema):
    gain_db: Number = setting(3.0, "antenna gain", unit="dBi", ge=-10.0, le=30.0)


class Example(ConfigSchema):
    count: Int = setting(2, "how many", unit="count", ge=1, le=8)
    power_w: Number = setting(1.0, "power", unit="W", gt=0.0)
    enabled: Flag = setting(False, "switch")
    mode: Literal["a", "b|c"] = setting("a", "which mode")
    name: Text | None = setting(None, "a name")
    panel: list[Annotated[Int, Field(ge=1, le=4)]] = setting(
        [2, 2], "panel size", unit="count", min_length=2, max_length=2
    )
    inner: Inner = Field(default_factory=Inner)

    @model_validator(mode="after")
    def _count_fits_panel(self) -> Example:
        if self.count > self.panel[0] * self.panel[1]:
            raise ValueError(f"count={self.count} exceeds the panel's {self.panel} elements")
        return self


def test_defaults_are_plain_fresh_dicts() -> None:
    first = Example.defaults()
    assert first == {
        "count": 2,
        "power_w": 1.0,
        "enabled": False,
        "mode": "a",
        "name": None,
        "panel": [2, 2],
        "inner": {"gain_db": 3.0},
    }
    first["panel"].append(9)
    assert Example.defaults()["panel"] == [2, 2]


def test_overrides_merge_nested_keys_and_accept_numpy_scalars() -> None:
    config = Example.resolve(
        {"count": np.int64(3), "power_w": np.float32(0.5), "enabled": np.bool_(True)}
        | {"panel": (2, 3), "inner": {"gain_db": 5}}
    )
    assert config["count"] == 3 and type(config["count"]) is int
    assert config["power_w"] == 0.5 and config["enabled"] is True
    assert config["panel"] == [2, 3] and config["inner"] == {"gain_db": 5.0}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"count": True}, r"config\['count'\]=True is invalid: Input should be a valid integer"),
        ({"count": 2.0}, r"config\['count'\]=2.0 is invalid"),
        ({"count": 9}, r"expected int, \[1, 8\] \[count\]: how many. The default is 2"),
        ({"power_w": float("nan")}, r"'power_w'\]=nan is invalid: .*finite.*> 0 \[W\]"),
        ({"power_w": 0.0}, r"'power_w'\]=0.0 is invalid: Input should be greater than 0"),
        ({"power_w": "1"}, r"'power_w'\]='1' is invalid"),
        ({"power_w": 1j}, r"'power_w'\]=1j is invalid"),
        ({"enabled": "no"}, r"'enabled'\]='no' is invalid: Input should be a valid boolean"),
        ({"enabled": 1}, r"'enabled'\]=1 is invalid"),
        ({"mode": "z"}, r"'mode'\]='z' is invalid: Input should be 'a' or 'b\|c'"),
        ({"panel": [2, 9]}, r"config\['panel'\]\[1\]=9 is invalid: .*items \[1, 4\]"),
        ({"panel": [2]}, r"config\['panel'\]=\[2\] is invalid: .*length 2"),
        ({"inner": {"gain_db": 99}}, r"config\['inner'\]\['gain_db'\]=99 .*\[-10, 30\] \[dBi\]"),
        ({"inner": {"gian_db": 1}}, r"unknown config key 'inner.gian_db'; valid keys are: gain_db"),
        ({"count": 8, "panel": [1, 2]}, r"invalid config: count=8 exceeds the panel's \[1, 2\]"),
        ({"countt": 1}, r"unknown config key 'countt'; valid keys are: count, power_w, enabled"),
    ],
)
def test_errors_name_key_value_expectation_and_default(overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        Example.resolve(overrides)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as error:
        Example.resolve({"count": 0, "enabled": "yes"})
    lines = str(error.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("config['count']=0") and lines[1].startswith("config['enabled']")


def test_rows_and_markdown_table_describe_every_key() -> None:
    rows = {row.key: row for row in Example.rows()}
    assert list(rows) == ["count", "power_w", "enabled", "mode", "name", "panel", "inner.gain_db"]
    assert (rows["count"].kind, rows["count"].unit, rows["count"].valid) == (
        "int",
        "count",
        "[1, 8]",
    )
    assert rows["power_w"].valid == "> 0"
    assert rows["name"].kind == "str or null" and rows["name"].valid == "-"
    assert rows["mode"].kind == "'a' | 'b|c'"
    assert rows["panel"].valid == "length 2, items [1, 4]"
    assert rows["inner.gain_db"].default == "3.0"
    table = markdown_table(Example).splitlines()
    assert table[0] == "| key | default | type | unit | valid | meaning |"
    assert "| mode | 'a' | 'a' \\| 'b\\|c' | - | - | which mode |" in table
    assert len(table) == 2 + len(rows)
