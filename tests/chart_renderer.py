"""Render deploy/helm/workflow-island without helm: a strict interpreter of the subset of
Go templates the chart uses, so the tests can schema-check every rendered manifest on a
machine where no helm binary can be installed (docs/deploy.md).

The subset: ``{{ }}`` with ``-`` trimming; ``if``/``else``/``end``, ``range`` (``range
$k, $v := X`` over a map in key order, ``range X`` over a list with ``.`` the item),
``define`` and ``include``; the terms ``.``, ``$``, ``.Values.a.b``, ``$.Values...``,
``$var``, string and number literals; the functions ``not``, ``eq``, ``quote``,
``b64enc``, ``toYaml``, ``nindent``, ``indent``. Anything else raises
:class:`TemplateError`, as does printing a missing value (helm prints ``<no value>``):
the chart stays inside what this renders, and `helm template` renders the same text.
"""

from __future__ import annotations

import base64
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.DOTALL)


class TemplateError(Exception):
    pass


def tokens(text: str) -> list[tuple[str, str]]:
    """``("text", s)`` and ``("action", s)`` pieces, with ``{{-``/``-}}`` trimming done."""
    out: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    for match in ACTION.finditer(text):
        chunk = text[pos : match.start()]
        if trim_next:
            chunk = chunk.lstrip()
        if match.group(1) == "-":
            chunk = chunk.rstrip()
        out.append(("text", chunk))
        body = match.group(2)
        if match.group(1) == "-" and not body.startswith(" "):
            raise TemplateError(f"'{{{{-' needs a space after it: {match.group(0)!r}")
        out.append(("action", body.strip()))
        trim_next = match.group(3) == "-"
        pos = match.end()
    chunk = text[pos:]
    out.append(("text", chunk.lstrip() if trim_next else chunk))
    return out


def parse(pieces: list[tuple[str, str]], templates: dict, until=("end",)) -> tuple[list, str]:
    """A tree of nodes, up to the first action in ``until``; returns it and that action."""
    nodes: list = []
    while pieces:
        kind, body = pieces.pop(0)
        if kind == "text":
            nodes.append(("text", body))
            continue
        word = body.split(None, 1)[0] if body else ""
        if body.startswith("/*"):
            continue  # a comment
        if word in until:
            return nodes, word
        if word == "if":
            then, stop = parse(pieces, templates, until=("else", "end"))
            otherwise: list = []
            if stop == "else":
                otherwise, _ = parse(pieces, templates)
            nodes.append(("if", body[2:].strip(), then, otherwise))
        elif word == "range":
            inner, _ = parse(pieces, templates)
            nodes.append(("range", body[5:].strip(), inner))
        elif word == "define":
            name = shlex.split(body[6:].strip())[0]
            templates[name], _ = parse(pieces, templates)
        elif word in ("with", "block", "template", "else", "end"):
            raise TemplateError(f"outside the renderer's subset: {{{{ {body} }}}}")
        else:
            nodes.append(("print", body))
    if until != ("end",) or pieces:
        raise TemplateError("unclosed block")
    return nodes, ""


def go_string(value: Any) -> str:
    if value is None:
        raise TemplateError("a missing value would print as <no value>")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        raise TemplateError(f"printing a map or list needs toYaml: {value!r}")
    return str(value)


def truthy(value: Any) -> bool:
    return bool(value)  # Go: false, 0, nil, "" and empty maps and lists are false


class Renderer:
    def __init__(self, chart_dir: Path, values: dict, release: str = "wi") -> None:
        self.chart_dir = chart_dir
        chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
        self.root = {
            "Values": values,
            "Release": {"Name": release, "Namespace": "default", "Service": "Helm"},
            "Chart": {
                "Name": chart["name"],
                "Version": chart["version"],
                "AppVersion": chart["appVersion"],
            },
        }
        self.templates: dict[str, list] = {}
        self.files: dict[str, list] = {}
        for path in sorted((chart_dir / "templates").iterdir()):
            tree, _ = parse(tokens(path.read_text()), self.templates)
            if not path.name.startswith("_"):
                self.files[path.name] = tree

    # --- expressions ------------------------------------------------------------
    def term(self, word: str, dot: Any, variables: dict) -> Any:
        if word.startswith('"'):
            return shlex.split(word)[0]
        if re.fullmatch(r"-?\d+", word):
            return int(word)
        if word in ("true", "false"):
            return word == "true"
        if word.startswith("$"):
            name, _, path = word.partition(".")
            if name == "$":
                base = self.root
            elif name in variables:
                base = variables[name]
            else:
                raise TemplateError(f"undefined variable {name}")
            return self.lookup(base, path)
        if word == ".":
            return dot
        if word.startswith("."):
            return self.lookup(dot, word[1:])
        raise TemplateError(f"outside the renderer's subset: {word!r}")

    @staticmethod
    def lookup(base: Any, path: str) -> Any:
        for key in filter(None, path.split(".")):
            if base is None:
                raise TemplateError(f"nil pointer evaluating .{path}")
            if not isinstance(base, dict):
                raise TemplateError(f"cannot index {base!r} with {key}")
            base = base.get(key)
        return base

    def command(self, words: list[str], piped: list, dot: Any, variables: dict) -> Any:
        name, *rest = words
        args = [self.term(w, dot, variables) for w in rest] + piped
        if name == "include":
            template, arg = args
            if template not in self.templates:
                raise TemplateError(f"no template named {template!r}")
            return self.run(self.templates[template], arg, {})
        if name == "not":
            return not truthy(args[0])
        if name == "eq":
            return args[0] == args[1]
        if name == "quote":
            return '"' + go_string(args[0]).replace("\\", "\\\\").replace('"', '\\"') + '"'
        if name == "b64enc":
            return base64.b64encode(go_string(args[0]).encode()).decode()
        if name == "toYaml":
            value = args[0]
            if value is None:
                return "null"
            return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).rstrip("\n")
        if name in ("nindent", "indent"):
            width, text = args
            padded = "\n".join(" " * width + line for line in go_string(text).split("\n"))
            return "\n" + padded if name == "nindent" else padded
        if rest or piped:
            raise TemplateError(f"outside the renderer's subset: function {name!r}")
        return self.term(name, dot, variables)

    def evaluate(self, expression: str, dot: Any, variables: dict) -> Any:
        value: list = []
        for stage in expression.split("|"):
            lexer = shlex.shlex(stage.strip(), posix=False)
            lexer.whitespace_split = True
            words = list(lexer)
            if words[0] == "(" or any(w.startswith("(") for w in words):
                raise TemplateError(f"outside the renderer's subset: {expression!r}")
            value = [self.command(words, value, dot, variables)]
        return value[0]

    # --- statements -------------------------------------------------------------
    def run(self, nodes: list, dot: Any, variables: dict) -> str:
        out: list[str] = []
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "print":
                out.append(go_string(self.evaluate(node[1], dot, variables)))
            elif kind == "if":
                branch = node[2] if truthy(self.evaluate(node[1], dot, variables)) else node[3]
                out.append(self.run(branch, dot, variables))
            elif kind == "range":
                out.append(self.range(node[1], node[2], dot, variables))
        return "".join(out)

    def range(self, header: str, body: list, dot: Any, variables: dict) -> str:
        match = re.fullmatch(r"\$(\w+)\s*,\s*\$(\w+)\s*:=\s*(.+)", header)
        if match:
            items = self.evaluate(match.group(3), dot, variables) or {}
            pairs = sorted(items.items()) if isinstance(items, dict) else list(enumerate(items))
            return "".join(
                self.run(
                    body,
                    value,
                    {**variables, "$" + match.group(1): key, "$" + match.group(2): value},
                )
                for key, value in pairs
            )
        if ":=" in header:
            raise TemplateError(f"outside the renderer's subset: range {header}")
        items = self.evaluate(header, dot, variables) or []
        if isinstance(items, dict):
            items = [items[key] for key in sorted(items)]
        return "".join(self.run(body, item, variables) for item in items)

    def render(self) -> dict[str, str]:
        """Each template file's text, as ``helm template`` prints it under its name."""
        return {name: self.run(tree, self.root, {}) for name, tree in self.files.items()}


def merge(base: dict, override: dict) -> dict:
    """Values merged as helm merges ``-f`` files: maps deeply, everything else replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def render_chart(chart_dir: Path, overrides: dict | None = None) -> list[dict]:
    """The chart's manifests (parsed YAML documents) with its values.yaml and ``overrides``."""
    values = yaml.safe_load((chart_dir / "values.yaml").read_text())
    rendered = Renderer(chart_dir, merge(values, overrides or {})).render()
    documents = []
    for name, text in rendered.items():
        for document in yaml.safe_load_all(text):
            if document is not None:
                documents.append({"source": name, "manifest": document})
    return documents
