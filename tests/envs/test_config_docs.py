"""The README's config tables are generated from the schemas and kept current."""

from __future__ import annotations

from pathlib import Path

import pytest

from wmoe.config import markdown_table
from wmoe.envs.config_docs import config_table_envs, with_config_tables
from wmoe.envs.registration import ENV_TABLE, config_schema

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_has_a_current_config_table_for_every_env() -> None:
    text = README.read_text()
    assert config_table_envs(text) == [entry.env_id for entry in ENV_TABLE]
    assert with_config_tables(text) == text, (
        "README config tables are stale: run `.venv/bin/wmoe envs --sync-readme README.md`"
    )


def test_sync_replaces_only_the_blocks() -> None:
    env_id = "wmoe/MultiAccess-v0"
    text = f"before\n<!-- config-table: {env_id} -->\nold\n<!-- end config-table -->\nafter\n"
    table = markdown_table(config_schema(env_id))
    assert with_config_tables(text) == text.replace("old\n", table + "\n")
    with pytest.raises(ValueError, match="unknown env 'wmoe/X-v0'"):
        with_config_tables("<!-- config-table: wmoe/X-v0 -->\n<!-- end config-table -->")


def test_env_docstrings_carry_the_generated_table() -> None:
    for entry in ENV_TABLE:
        env_class = config_schema(entry.env_id)
        module, _, name = entry.entry_point.partition(":")
        doc = getattr(__import__(module, fromlist=[name]), name).__doc__
        first_key = next(iter(env_class.model_fields))
        assert f"    | {first_key} |" in doc, entry.env_id
        assert doc.index("Config keys (generated") < doc.index("## Vectorized environment")
