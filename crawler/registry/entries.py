"""Reading a registry file: its text (UTF-8), its YAML, and each entry with its place (file,
number, line, the line of each key) for the one-line problems ``checks`` writes. A file that
cannot be read, decoded or parsed is a ``RegistryError`` saying where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


class RegistryError(ValueError):
    """A registry that cannot be used; the message is one line naming the file, entry and key."""


@dataclass
class Entry:
    """One entry as the YAML gives it, and where it is."""
    source: str
    number: int  # its place in its file, from 1
    value: object
    line: int  # where the entry begins
    key_lines: dict = field(default_factory=dict)  # key -> line
    repeated_key: tuple | None = None  # (key, first line, second line): YAML would keep the last silently


def file_text(path) -> str:
    """The file's text, or a RegistryError: unreadable, not UTF-8."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is no part of the text
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RegistryError(f"{path}:{line}: not UTF-8 (byte {data[exc.start]:#04x}); save the file as UTF-8, "
                            f"e.g. iconv -f gb18030 -t utf-8") from None
    return text


def text_entries(text: str, source: str) -> list[Entry]:
    """The entries of a registry's text (a list, or the ``sites:`` form), each with its line and
    its keys' lines; a RegistryError when the text is no YAML or no list of entries."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).replace("\n", " ")
        if "\\t" in problem:
            problem += " (indent with spaces: YAML refuses tabs)"
        elif "got '?'" in problem:  # PyYAML ends an unquoted text inside [ ] at a ?
            problem += ' (inside [ ], quote a URL with a ? in it: ["http://…/list.asp?page=1"])'
        raise RegistryError(f"{where}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    if isinstance(data, dict) and "sites" in data:  # the ``sites:`` form
        data = data["sites"]
        # its node: the last ``sites`` key, as YAML keeps it (merge keys, <<, flattened in already)
        node = [v for k, v in node.value if k.value == "sites"][-1]
    if not isinstance(data, list) or not data:
        raise RegistryError(f"{source}: expected a list of sites, each beginning `- name: …`, got {kind(data)}")
    entries = []
    for number, (value, entry_node) in enumerate(zip(data, node.value), start=1):
        entry = Entry(source, number, value, line=entry_node.start_mark.line + 1)
        if isinstance(entry_node, yaml.MappingNode):
            for key_node, _ in entry_node.value:
                key, line = str(key_node.value), key_node.start_mark.line + 1
                if key in entry.key_lines and entry.repeated_key is None:
                    entry.repeated_key = (key, entry.key_lines[key], line)
                    entry.key_lines[key] = line  # the problem is told where the key comes again
                entry.key_lines.setdefault(key, line)
        entries.append(entry)
    return entries


def kind(value) -> str:
    """What a YAML value is, in a contributor's words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return {dict: "keys", list: "a list", str: "text", type(None): "nothing"}.get(type(value), type(value).__name__)
