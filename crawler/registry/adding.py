"""Adding entries to a registry file (``nianbao discover --out``): what the file holds is kept,
comments included, and nothing is written when the file has a problem or would have one.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .checks import checked, file_sites
from .entries import RegistryError, file_text, text_entries


def text_to_add_to(path) -> str:
    """The text of the registry file ``path``, to add entries to: "" when it is missing; a
    file of comments alone is fine. ``RegistryError`` when it has a problem."""
    path = Path(path)
    if not path.exists():
        return ""
    text = file_text(path)
    try:
        empty = yaml.safe_load(text) is None
    except yaml.YAMLError:
        empty = False  # file_sites says where
    if not empty:
        file_sites(text, path)
    return text + ("" if text.endswith("\n") or not text else "\n")


def add_entries(path, entries: list[dict]) -> None:
    """Add ``entries`` at the end of the registry file ``path`` (made when missing), keeping
    what it holds, comments included. ``RegistryError`` when the file has a problem already,
    or would with them (a name or start URL it holds): then nothing is written."""
    text = text_to_add_to(path) + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    try:
        registry = checked(text_entries(text, str(path)))
    except RegistryError as exc:  # e.g. a file in the ``sites:`` form: a list cannot follow it
        raise RegistryError(f"{exc}; nothing added to {path}") from None
    if registry.problems:
        raise RegistryError(f"{registry.error()}; nothing added to {path}")
    Path(path).write_text(text, encoding="utf-8")
