"""Config tables of every suite env in a README, generated from the schemas.

A README holds, for each env, a block between ``<!-- config-table: ENV_ID -->`` and
``<!-- end config-table -->``; :func:`sync_readme` rewrites what is between the markers
with the env's :func:`~wmoe.config.markdown_table`, so the README never disagrees with the
schema (a test checks it is current).
"""

from __future__ import annotations

import re
from pathlib import Path

from wmoe.config import markdown_table
from wmoe.envs.registration import config_schema

_BLOCK = re.compile(
    r"(<!-- config-table: (?P<env_id>\S+) -->\n)(?P<body>.*?)(<!-- end config-table -->)",
    re.DOTALL,
)


def with_config_tables(text: str) -> str:
    """``text`` with every config-table block replaced by its env's generated table.

    Raises:
        ValueError: If a block names an env outside the suite.
    """
    return _BLOCK.sub(
        lambda m: f"{m.group(1)}{markdown_table(config_schema(m.group('env_id')))}\n{m.group(4)}",
        text,
    )


def config_table_envs(text: str) -> list[str]:
    """The env ids whose config-table blocks ``text`` holds, in order."""
    return [m.group("env_id") for m in _BLOCK.finditer(text)]


def sync_readme(path: Path) -> bool:
    """Rewrite the config tables of the README at ``path``; return whether it changed."""
    text = path.read_text()
    updated = with_config_tables(text)
    if updated != text:
        path.write_text(updated)
    return updated != text
