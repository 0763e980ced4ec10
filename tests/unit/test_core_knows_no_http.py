"""The core packages import no django.http, django.template or django.shortcuts.

import-linter sees external packages only by their top-level name (``django``), so this
contract from docs/adr/0011 is checked here, on the source. The exceptions are the
modules that are a web edge by nature: Django admin classes and tenancy's request
middleware, context processor and login views.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "workflow_platform"
CORE = ("engine", "worklist", "definitions", "tenancy", "webhooks")
FORBIDDEN = ("django.http", "django.template", "django.shortcuts", "django.views")
WEB_EDGES = {
    "definitions/admin.py",
    "tenancy/admin.py",
    "tenancy/admin_base.py",
    "tenancy/middleware.py",
    "tenancy/context_processors.py",
    "tenancy/views.py",
    "webhooks/admin.py",
}


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_the_core_imports_nothing_of_http_or_templates():
    found = []
    for package in CORE:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in WEB_EDGES or "/migrations/" in name:
                continue
            found += [
                f"{name} imports {module}"
                for module in imported_modules(path)
                if any(module == f or module.startswith(f + ".") for f in FORBIDDEN)
            ]
    assert found == []


def test_the_check_sees_an_import_it_must_refuse(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from django.http import HttpResponse\nimport django.template.loader\n")
    assert list(imported_modules(probe)) == ["django.http", "django.template.loader"]
