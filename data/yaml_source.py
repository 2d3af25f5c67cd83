"""Read a YAML config file keeping each key's line, and report problems as ``file:line``.

``read_yaml`` builds plain Python data from the composed node tree itself (instead of
``yaml.safe_load``) so that it can remember where every key and list item came from,
refuse duplicate keys, and substitute ``${ENV_VAR}`` in text values. ``MarkedDoc`` then
turns any path into the issue ``file:line: key.path: message``, which is how pydantic's
errors and the whole-file rules are both reported with their line.

Secrets: messages never echo an input value of pydantic, YAML errors are reported without
the source snippet, and every text value held under a secret key (or taken from the
environment) is masked out of any message as a last guard.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from pydantic import ValidationError
from yaml.composer import Composer, ComposerError
from yaml.events import AliasEvent

from data.errors import DutyDeskError
from data.masking import MASK, MIN_LENGTH

Severity = Literal["error", "warning"]
KeyPath = tuple[Any, ...]  # mapping keys and list indexes, from the top of the document
SECRET_KEYS = frozenset({"community", "auth_key", "priv_key", "password", "passphrase"})
_ENV_REF = re.compile(r"\$(\$?)\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAP, _SEQ, _STR = (f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "str"))
_MERGE = "tag:yaml.org,2002:merge"

# Limits for files an admin hands us, which may be hostile or simply wrong (/dev/zero, a
# FIFO, a YAML alias bomb). Generous for real sites: thousands of devices fit in 4 MB, the
# deepest key path of site.yaml is 6 levels, and merge keys (`<<: *defaults`) on every check
# of a large site stay well under the alias limits.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64  # also keeps the composer's recursion far below Python's (libyaml's segfaults)
MAX_ALIASES = 20_000
MAX_ALIAS_NODES = 500_000  # nodes that aliases add to the document when expanded


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One problem in a config file; ``line`` is 1-based, 0 when the file has none."""

    file: str
    line: int
    key_path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:" if self.line > 0 else f"{self.file}:"
        key = f" {self.key_path}:" if self.key_path else ""
        tag = " warning:" if self.severity == "warning" else ""
        return f"{where}{key}{tag} {self.message}"


class SiteConfigError(DutyDeskError):
    """A config that cannot be used; ``issues`` lists every problem found (and warnings)."""

    code = "config.invalid"

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues = sorted(issues)
        errors = sum(1 for i in self.issues if i.severity == "error")
        super().__init__("\n".join(str(i) for i in self.issues), count=errors)

    @property
    def errors(self) -> list[ConfigIssue]:
        return [i for i in self.issues if i.severity == "error"]


# libyaml's parser when PyYAML has it: composing is ~10x faster than pure Python, which
# matters for sites with thousands of devices. Both keep every node's mark (line).
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LimitedComposer(Composer):
    """PyYAML's composer with a depth limit and a budget for aliases.

    It runs over libyaml's events instead of libyaml's own composer, which recurses without
    a limit (100,000 nested ``[`` crash the process). An alias costs the size of the node it
    names, counted with that node's own aliases expanded, so a bomb is refused while its
    nodes are composed, before anything is built from them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._aliases = 0
        self._expanded = 0  # nodes of the document with every alias expanded
        self._alias_nodes = 0  # of which added by aliases
        self._sizes: dict[int, int] = {}  # anchored node -> its expanded size

    peek_event: Callable[[], yaml.Event]  # the parser's (libyaml's), mixed in by _Loader

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            self._aliases += 1
            size = self._sizes.get(id(node), 1)  # 1: names a node still open (the builder says)
            self._expanded += size
            self._alias_nodes += size
            if self._aliases > MAX_ALIASES:
                self._refuse(event, f"more than {MAX_ALIASES} aliases")
            if self._alias_nodes > MAX_ALIAS_NODES:
                self._refuse(event, f"aliases expand to more than {MAX_ALIAS_NODES} nodes")
            return node
        if self._depth >= MAX_DEPTH:
            self._refuse(event, f"nested deeper than {MAX_DEPTH} levels")
        start = self._expanded
        self._expanded += 1
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if getattr(event, "anchor", None) is not None:  # scalar and collection start events
            self._sizes[id(node)] = self._expanded - start
        return node

    @staticmethod
    def _refuse(event: yaml.Event, problem: str) -> None:
        # libyaml's marks are another class than PyYAML's, with the same fields
        raise _OverLimit(None, None, problem, cast(yaml.Mark, event.start_mark))


class _OverLimit(ComposerError):
    """A document refused by a limit of ``_LimitedComposer`` (not a syntax error)."""


class _Loader(_LimitedComposer, _SafeLoader):  # type: ignore[valid-type,misc]
    """Safe loader without YAML 1.1's base-60 numbers, so a plain ``17:30`` stays text."""

    def __init__(self, stream: str) -> None:
        _SafeLoader.__init__(self, stream)
        _LimitedComposer.__init__(self)

    def get_single_node(self) -> yaml.Node | None:
        return _LimitedComposer.get_single_node(self)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass
class MarkedDoc:
    """A loaded document: its data plus the line of every key path in it."""

    file: str
    data: dict[Any, Any]
    lines: dict[KeyPath, int]
    secrets: set[str] = field(default_factory=set)
    unreadable: set[KeyPath] = field(default_factory=set)  # e.g. an unset ${VAR}: reported

    def line_of(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest ancestor that is in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def key_path(self, path: KeyPath) -> str:
        """``devices[core-sw-1].checks[up].oid``: list items by their id, else by index."""
        parts: list[str] = []
        node: Any = self.data
        for seg in path:
            if isinstance(node, list) and _has(node, seg):
                node = node[seg]
                ident = node.get("id") if isinstance(node, dict) else None
                parts.append(f"[{ident}]" if isinstance(ident, str) and ident else f"[{seg}]")
            else:
                parts.append(f".{seg}" if parts else str(seg))
                node = node.get(seg) if isinstance(node, dict) else None
        return "".join(parts)

    def issue(self, path: KeyPath, message: str, severity: Severity = "error") -> ConfigIssue:
        for secret in sorted(self.secrets, key=len, reverse=True):
            message = message.replace(secret, MASK)
        return ConfigIssue(self.file, self.line_of(path), self.key_path(path), message, severity)

    def validation_issues(self, error: ValidationError) -> list[ConfigIssue]:
        """pydantic's errors, each placed on the line of the YAML node it is about."""
        issues = []
        for err in error.errors(include_url=False, include_input=False):
            path = self._follow(err["loc"], err["type"])
            if not self._about_unreadable_value(path):
                issues.append(self.issue(path, _message(err)))
        return issues

    def _about_unreadable_value(self, path: KeyPath) -> bool:
        # A value that could not be read (an unset ${VAR} left it empty) is reported once
        # already; errors about it or its mapping ("keys must be at least 8 characters")
        # would only mislead.
        return any(path in (p, p[:-1]) for p in self.unreadable)

    def _follow(self, loc: tuple[int | str, ...], kind: str) -> KeyPath:
        node: Any = self.data
        path: KeyPath = ()
        for i, seg in enumerate(loc):
            if _has(node, seg):
                node = node[seg]
            elif kind == "missing" and i == len(loc) - 1:
                return (*path, seg)  # absent: key_path names it, line_of gives the parent's
            else:
                continue  # not in the file: a union tag like 'snmp', or '[key]'
            path = (*path, seg)
        if kind == "union_tag_invalid" and isinstance(node, dict) and "type" in node:
            path = (*path, "type")
        return path


def _has(node: Any, seg: Any) -> bool:
    if isinstance(node, dict):
        return seg in node
    return isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node)


def mapping_items(value: Any) -> Iterator[tuple[int, dict[Any, Any]]]:
    """The (index, item) of each mapping in a raw list; anything else yields nothing.

    The whole-file rules walk raw data (not the model) so they can run, and report, even
    when some other part of the file failed validation.
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _message(err: Mapping[str, Any]) -> str:
    kind, msg = err["type"], str(err["msg"])
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    ctx = err.get("ctx") or {}
    if kind == "union_tag_not_found":
        return f"required key {ctx.get('discriminator', 'type')} is missing"
    if kind == "union_tag_invalid":
        return f"unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def read_yaml(
    path: Path, display: str, env: Mapping[str, str] | None
) -> tuple[MarkedDoc | None, list[ConfigIssue]]:
    """Load ``path``; ``env`` given means ``${NAME}`` in text values is substituted from it.

    Returns the document (None when nothing usable could be read) and the problems found.
    """
    try:
        text = read_limited(path).decode("utf-8-sig")
    except FileNotFoundError:
        return None, [ConfigIssue(display, 0, "", "file not found")]
    except _Refused as e:
        return None, [ConfigIssue(display, 0, "", str(e))]
    except OSError as e:
        return None, [ConfigIssue(display, 0, "", f"cannot read the file: {e.strerror}")]
    except UnicodeDecodeError:
        return None, [ConfigIssue(display, 0, "", "the file is not UTF-8 text")]
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except _OverLimit as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 0
        return None, [ConfigIssue(display, line, "", f"refused: {e.problem}")]
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 0
        what = f"{e.context}: {e.problem}" if e.context else str(e.problem)
        return None, [ConfigIssue(display, line, "", f"YAML syntax error: {what}")]
    except yaml.YAMLError as e:
        return None, [ConfigIssue(display, 0, "", f"YAML error: {type(e).__name__}")]
    finally:
        loader.dispose()
    if root is None:
        return None, [ConfigIssue(display, 1, "", "the file is empty")]
    builder = _Builder(loader, env)
    data = builder.value(root, ())
    if not isinstance(data, dict):
        message = "the top level must be a mapping of keys"
        return None, [ConfigIssue(display, root.start_mark.line + 1, "", message)]
    doc = MarkedDoc(display, data, builder.lines, builder.substituted, builder.unreadable)
    _collect_secrets(data, doc.secrets)
    return doc, [doc.issue(p, m) for p, m in builder.problems]


class _Refused(OSError):
    """A file that is not read at all: not a regular file, or too large."""


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else ``_Refused``.

    Checked before reading: a FIFO would block, /dev/zero never ends. The open does not
    block (O_NONBLOCK) and the opened file is checked again, in case the path was swapped.
    """
    _check_regular(os.stat(path), limit)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    with open(fd, "rb") as file:
        _check_regular(os.fstat(fd), limit)
        data = file.read(limit + 1)
    if len(data) > limit:  # it grew since the check
        raise _Refused(_too_large(limit))
    return data


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise _Refused("not a regular file")
    if info.st_size > limit:
        raise _Refused(_too_large(limit))


def _too_large(limit: int) -> str:
    return f"the file is larger than {limit // (1024 * 1024)} MB"


class _Builder:
    """Turns composed nodes into dicts, lists and scalars, noting each path's line."""

    def __init__(self, loader: _Loader, env: Mapping[str, str] | None) -> None:
        self.loader = loader
        self.env = env
        self.lines: dict[KeyPath, int] = {(): 1}
        self.problems: list[tuple[KeyPath, str]] = []
        self.substituted: set[str] = set()
        self.unreadable: set[KeyPath] = set()
        self._open: set[int] = set()  # nodes being built: guards against recursive aliases

    def value(self, node: yaml.Node, path: KeyPath) -> Any:
        if id(node) in self._open:
            self.problems.append((path, "an alias refers to itself"))
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            return self._scalar(node, path)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any] | None:
        if node.tag != _MAP:
            self.problems.append((path, f"unsupported YAML tag {node.tag}"))
            return None
        first_line: dict[Any, int] = {}
        keys: dict[int, Any] = {}  # key node -> key, so each key is read (and reported) once
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = keys[id(key_node)] = self._key(key_node, path)
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.lines[(*path, key)] = line
                self.problems.append(
                    ((*path, key), f"duplicate key (first at line {first_line[key]})")
                )
            else:
                first_line[key] = line
        try:
            self.loader.flatten_mapping(node)  # apply `<<: *anchor` merge keys
        except yaml.MarkedYAMLError as e:
            self.problems.append((path, f"bad merge key: {e.problem}"))
            return None
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = keys[id(key_node)] if id(key_node) in keys else self._key(key_node, path)
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.value(value_node, (*path, key))
        return result

    def _key(self, node: yaml.Node, path: KeyPath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path, substitute=False)
        self.problems.append((path, f"a key must be plain text (line {node.start_mark.line + 1})"))
        return f"<key at line {node.start_mark.line + 1}>"

    def _sequence(self, node: yaml.SequenceNode, path: KeyPath) -> list[Any] | None:
        if node.tag != _SEQ:
            self.problems.append((path, f"unsupported YAML tag {node.tag}"))
            return None
        items = []
        for index, item in enumerate(node.value):
            self.lines[(*path, index)] = item.start_mark.line + 1
            items.append(self.value(item, (*path, index)))
        return items

    def _scalar(self, node: yaml.Node, path: KeyPath, substitute: bool = True) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as e:
            self._unreadable(path, f"cannot read this value: {e.problem}")
            return None
        except (ValueError, TypeError) as e:  # e.g. a date like 2026-02-30
            self._unreadable(path, f"cannot read this value: {e}")
            return None
        if substitute and isinstance(value, str) and node.tag == _STR and self.env is not None:
            return _ENV_REF.sub(lambda m: self._env_value(m, path), value)
        return value

    def _unreadable(self, path: KeyPath, message: str) -> None:
        self.problems.append((path, message))
        self.unreadable.add(path)

    def _env_value(self, match: re.Match[str], path: KeyPath) -> str:
        escaped, name = match[1], match[2]
        if escaped:
            return "${" + name + "}"  # `$${X}` is the literal text `${X}`
        assert self.env is not None
        if not _ENV_NAME.match(name):
            self._unreadable(path, f"malformed ${{{name}}}: use ${{NAME}}, or $${{ for $")
            return ""
        if name not in self.env:
            self._unreadable(path, f"environment variable {name} is not set")
            return ""
        value = self.env[name]
        if len(value) >= MIN_LENGTH:
            self.substituted.add(value)
        return value


def _collect_secrets(node: Any, into: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRET_KEYS and isinstance(value, str) and len(value) >= MIN_LENGTH:
                into.add(value)
            _collect_secrets(value, into)
    elif isinstance(node, list):
        for item in node:
            _collect_secrets(item, into)
