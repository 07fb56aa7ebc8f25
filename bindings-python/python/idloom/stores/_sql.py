"""The core's SQL texts in the parameter style of a Python DB-API driver."""

from __future__ import annotations

import re
from typing import Dict

from .._idloom import _store_texts


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).strip()


def texts(engine: str) -> Dict[str, str]:
    """Every text of ``engine``, comments stripped, placeholders as ``%s`` /
    ``%(pN)s`` (``%`` in the text doubled first), as psycopg and PyMySQL take them."""
    out: Dict[str, str] = {}
    for name, text in _store_texts(engine).items():
        if isinstance(text, str):
            out[name] = convert(engine, text)
    return out


def convert(engine: str, text: str) -> str:
    """One text (e.g. with its table name already in place) converted like ``texts``."""
    text = _strip_comments(text).replace("%", "%%")
    if engine == "postgres":
        return re.sub(r"\$(\d+)", r"%(p\1)s", text)
    return text.replace("?", "%s")


def params(*values: object) -> Dict[str, object]:
    """Positional values as psycopg's named ``pN`` parameters."""
    return {f"p{i}": v for i, v in enumerate(values, 1)}
