"""No test module reads the clock when it is imported: a date taken at import goes stale in a run that
crosses midnight, and the tests comparing it with what a page computes then fail. Read it inside the
test or a fixture."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CLOCK_READS = {"now", "today", "utcnow", "localdate", "localtime"}
CLOCKS = {"timezone", "date", "datetime"}


class _ImportTimeCalls(ast.NodeVisitor):
    """Clock reads in what runs at import: module and class bodies, decorators, default values;
    not the bodies of functions, which run when called."""

    def __init__(self) -> None:
        self.lines: list[int] = []

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Attribute) and function.attr in CLOCK_READS:
            base = function.value
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
            if name in CLOCKS:
                self.lines.append(node.lineno)
        self.generic_visit(node)

    def _signature_only(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            self.visit(default)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._signature_only(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._signature_only(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._signature_only(node)


def clock_reads_at_import(source: str) -> list[int]:
    visitor = _ImportTimeCalls()
    visitor.visit(ast.parse(source))
    return visitor.lines


def test_the_finder_tells_import_time_from_call_time() -> None:
    source = (
        "from django.utils import timezone\n"
        "TODAY = timezone.localdate()\n"
        "def later(when=datetime.datetime.now()):\n"
        "    return timezone.now()\n"
        "class Clock:\n"
        "    at = date.today()\n"
        "    def tick(self):\n"
        "        return date.today()\n"
    )
    assert clock_reads_at_import(source) == [2, 3, 6]


def test_no_test_module_reads_the_clock_when_imported() -> None:
    found = {
        f"{path.relative_to(TESTS)}:{line}"
        for path in TESTS.rglob("*.py")
        for line in clock_reads_at_import(path.read_text(encoding="utf-8"))
    }
    assert found == set()
