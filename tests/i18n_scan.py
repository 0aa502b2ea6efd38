"""Find UI text that is not marked for translation, in templates and in Python.

Templates: the visible text nodes and the human-read attributes (title, placeholder,
aria-label, alt) outside `{{ _() }}` and `{% trans %}`, plus string literals a `{{ }}`
prints directly (`{{ 'Draft' if ... }}`). Python: literal text handed to flash(),
abort(description=...), form errors and the service errors a page shows.

A text counts as words when it has a run of two letters that is not a proper name,
a code or a unit of the allow list: punctuation, numbers and "CityExchange" pass.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment, nodes

# Words that are the same in every language: names, codes, units, formats.
ALLOWED_WORDS = {
    "CityExchange", "API", "JSON", "JSONL", "Atom", "RSS", "OpenAPI", "CSV", "UTC", "URL",
    "CSRF", "Markdown", "HTTP", "GET", "POST", "PUT", "PATCH", "DELETE", "Bearer", "ID",
    "CO", "CO₂", "t", "k", "M", "EN", "DE", "FR", "NL", "PL", "ES", "IT", "ISO", "curl",
    "Authorization",
    "Deutsch", "English", "Français", "Nederlands", "Polski", "Español", "Italiano",
}
WORD = re.compile(r"[^\W\d_]{2,}")
SKIP_TAGS = {"script", "style", "code", "pre", "kbd", "samp"}
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
JINJA = re.compile(r"{#.*?#}|{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}|{%.*?%}|{{.*?}}", re.S)
GETTEXT_NAMES = {"_", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "pgettext"}
# Filters that print their input unchanged in substance.
PASS_FILTERS = {"upper", "lower", "capitalize", "title", "trim", "e", "safe", "default", "d"}


# Addresses, paths, file and media-type names: /api/v1/topics, openapi.json, a@b.org.
CODE_TOKEN = re.compile(r"[\w-]+=\"[^\"]*\"|\S*[/@]\S*|\b\w+\.\w+\b")


def words_needing_translation(text: str) -> list[str]:
    return [word for word in WORD.findall(CODE_TOKEN.sub(" ", text))
            if word not in ALLOWED_WORDS]


# -- templates ---------------------------------------------------------------------------

class _TextNodes(HTMLParser):
    """Text and read attributes; `{{ expr }}` arrive as markers naming the expression."""

    def __init__(self, expressions: list[str], environment: Environment):
        super().__init__(convert_charrefs=True)
        self.expressions, self.environment = expressions, environment
        self.found: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skipping.append(tag)
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._check(value, f"{name}=")

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            self._check(data, "")

    def _check(self, text: str, where: str) -> None:
        plain = MARKER.sub(" ", text)
        if words_needing_translation(plain):
            self.found.append(where + plain.strip())
        for index in MARKER.findall(text):
            tree = self.environment.parse(self.expressions[int(index)])
            for output in tree.find_all(nodes.Output):
                for child in output.nodes:
                    self.found += [where + literal for literal in _printed_literals(child)
                                   if words_needing_translation(literal)]


MARKER = re.compile(r"\x01(\d+)\x02")


def template_text_nodes(source: str, environment: Environment) -> list[str]:
    """Unmarked visible text of a template: plain text, and literals `{{ }}` prints."""
    expressions: list[str] = []

    def blank(match: re.Match) -> str:
        if not match.group(0).startswith("{{"):
            return " "
        expressions.append(match.group(0))
        return f"\x01{len(expressions) - 1}\x02"

    parser = _TextNodes(expressions, environment)
    parser.feed(JINJA.sub(blank, source))
    parser.close()
    return parser.found


def _printed_literals(node) -> list[str]:
    """String constants an expression prints as they are (not those it only passes on)."""
    if isinstance(node, nodes.Const):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, nodes.CondExpr):
        return _printed_literals(node.expr1) + (_printed_literals(node.expr2) if node.expr2
                                                 else [])
    if isinstance(node, nodes.Concat):
        return [text for item in node.nodes for text in _printed_literals(item)]
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return [text for item in node.items for text in _printed_literals(item)]
    if isinstance(node, (nodes.Or, nodes.And)):
        return _printed_literals(node.left) + _printed_literals(node.right)
    if isinstance(node, nodes.Dict):
        return [text for pair in node.items for text in _printed_literals(pair.value)]
    if isinstance(node, nodes.Getitem):
        return _printed_literals(node.node)
    if isinstance(node, nodes.Filter) and node.name in PASS_FILTERS:
        return _printed_literals(node.node) + [text for arg in node.args
                                               for text in _printed_literals(arg)]
    return []


def unmarked_in_templates(root: Path, environment: Environment) -> dict[str, list[str]]:
    problems = {}
    for path in sorted(root.rglob("*.html")):
        found = template_text_nodes(path.read_text(encoding="utf-8"), environment)
        if found:
            problems[str(path.relative_to(root))] = found
    return problems


# -- Python ------------------------------------------------------------------------------

def _is_gettext_call(node) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in GETTEXT_NAMES)


def _literal_text(node) -> str | None:
    """The text of a literal string, f-string or "…" % x; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values
                       if isinstance(part, ast.Constant) and isinstance(part.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return _literal_text(node.left) or _literal_text(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_text(node.body) or _literal_text(node.orelse)
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def _shown_arguments(call: ast.Call) -> list[ast.AST]:
    """The arguments of `call` that a person reads on a page."""
    name = _call_name(call)
    if name == "flash":
        return call.args[:1]
    if name == "abort":
        return call.args[1:2] + [kw.value for kw in call.keywords if kw.arg == "description"]
    if name == "add_error" or name.endswith("Error") and name in SHOWN_ERRORS:
        return call.args[1:2]
    if name in DOMAIN_ERRORS:  # errors.py shows the message on a page, or in JSON
        return call.args[:1]
    if name == "render_template":
        return [kw.value for kw in call.keywords if kw.arg in ("message", "notice")]
    if name == "ValidationError":  # a form shows it at the field
        return call.args[:1]
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
            and call.func.value.id == "validate":  # validate.Length(error=...)
        return [kw.value for kw in call.keywords if kw.arg == "error"]
    return []


# A form never sends these; they answer a program that sent the wrong shape.
PROGRAMMER_ERRORS = {"expected form fields", "expected an object"}
# Service errors whose message a page shows as it is (field, message).
SHOWN_ERRORS = {"CurationError", "SavedSearchError", "UserAdminError"}
# The write service's domain errors (message, field): errors.py shows the message.
DOMAIN_ERRORS = {"NotFound", "Forbidden", "FieldError", "Invalid", "Conflict"}


def unmarked_in_python(package: Path, exempt: set[str]) -> list[str]:
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = str(path.relative_to(package))
        if relative in exempt:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            for argument in _shown_arguments(call):
                if _is_gettext_call(argument):
                    continue
                text = _literal_text(argument)
                if text in PROGRAMMER_ERRORS:
                    continue
                if text and words_needing_translation(text):
                    problems.append(f"{relative}:{call.lineno}: {text[:70]!r}")
    return problems
