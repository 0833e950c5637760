"""Reading what a page's scripts are given: variables, object literals and the list calls they make.

Government list pages fill their lists from scripts: `$.ajax({url: …, data: {…}})`, `$.post(url, {…})`,
`fetch(url, {body: JSON.stringify({…})})`, a pager's `createPageHTML(count, current, …)` or a jpage
config. Nothing is executed: literals are parsed as written, a bare name is looked up among the page's
`var name = literal` assignments, and names are matched without regard to case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_VAR = re.compile(r"""(?:\bvar|\blet|\bconst|[;{\n])\s*([A-Za-z_$][\w$]*)\s*=\s*(?=['"\d{\[])""")
_CALL = re.compile(
    r"""(?P<lib>\$|jQuery|axios)\s*\.\s*(?P<verb>ajax|post|get|getJSON)\s*\(|\bfetch\s*\(""",
)
_REGEX_AFTER = frozenset("(,=:[!&|?{};+-*%<>~^")
"""The characters after which a slash starts a regular expression literal (after a value it divides)."""
_REGEX_WORD = re.compile(r"(?<![\w$])(?:return|typeof|case|in|of|delete|void|throw|new|else|do|yield|await)$")
"""The keywords after which a slash starts a regular expression literal."""
_DOM_READ = re.compile(r"""(?:\$|jQuery)\(\s*['"]#([\w-]+)['"]\s*\)\s*\.\s*(data|attr)\(\s*['"]([\w-]+)['"]\s*\)""")
MAX_SCRIPT_CHARS = 2_000_000
"""Scripts are read up to this many characters per page (found by regular expressions: C speed)."""
MAX_LITERAL_CHARS = 50_000
"""A value is read at most this far from where it starts (a list call's options or a setting are far shorter)."""
MAX_SCANNED = 1_600_000
"""Characters all of a page's values may be read over, together: past it, later values are not read (a page of
many long values, each within MAX_LITERAL_CHARS, stays bounded; a library's code reads at ~3 M chars a second)."""


@dataclass(slots=True)
class ScriptCall:
    """A request a page's script makes: where, how, with what data, and what it expects back."""

    url: str
    """The address as the script writes it (relative or absolute)."""
    method: str = "GET"
    """GET or POST, upper case."""
    data: dict[str, Any] = field(default_factory=dict)
    """The parameters sent (query for GET, body for POST); values as literals, names as the script spells them."""
    json_body: bool = False
    """True where a POST sends its data as JSON (`JSON.stringify`, `contentType: 'application/json'`)."""
    jsonp: bool = False
    """True where the answer is JSONP (`dataType: 'jsonp'`)."""


class _Parser:
    """A tolerant reader of JavaScript literals: strings, numbers, objects, arrays and names."""

    def __init__(self, text: str, names: dict[str, Any], placeholders: bool = False,
                 dom: dict[str, dict[str, str]] | None = None) -> None:  # fmt: skip
        self.text = text
        self.i = 0
        self.end = len(text)
        """Where reading stops: a literal longer than the window its caller gives is read in part."""
        self.names = names
        self.placeholders = placeholders
        self.dom = dom or {}

    def skip(self) -> None:
        while self.i < self.end:
            if self.text[self.i].isspace():
                self.i += 1
            elif self.text.startswith("//", self.i):
                end = self.text.find("\n", self.i, self.end)
                self.i = self.end if end < 0 else end
            elif self.text.startswith("/*", self.i):
                end = self.text.find("*/", self.i + 2, self.end)
                self.i = self.end if end < 0 else end + 2
            else:
                return

    def value(self, depth: int = 0) -> Any:
        """Return the literal at the cursor (None for what is not a literal) and move past it."""
        self.skip()
        if self.i >= self.end or depth > 20:
            return None
        c = self.text[self.i]
        if c in "'\"`":
            out = self.string()
            return self._concat(out, depth)
        if c == "{":
            return self.obj(depth)
        if c == "[":
            return self.array(depth)
        if c == "/" and self._regex():
            return None
        m = _DOM_READ.match(self.text, self.i, self.end)
        if m:  # jQuery reading an element's attribute: `$('#list').data('webid')`, `.attr('data-x')`
            self.i = m.end()
            attrs = self.dom.get(m.group(1), {})
            key = m.group(3).lower()
            return attrs.get(key if m.group(2) == "attr" else f"data-{key}")
        m = re.compile(r"-?\d+(?:\.\d+)?").match(self.text, self.i, self.end)
        if m:
            self.i = m.end()
            return m.group(0)
        m = re.compile(r"[A-Za-z_$][\w$.]*").match(self.text, self.i, self.end)
        if m:
            self.i = m.end()
            name = m.group(0)
            if name == "JSON.stringify":
                self.skip()
                if self.text.startswith("(", self.i):
                    self.i += 1
                    inner = self.value(depth + 1)
                    self._close(")")
                    return _Json(inner)
            if name == "function":
                self._skip_function()
                return None
            if name in ("true", "false"):
                return name
            if name == "null" or name == "undefined":
                return None
            got = self.names.get(name, self.names.get(name.rsplit(".", 1)[-1]))
            self.skip()
            if got is None and self.placeholders and self.text.startswith("(", self.i) and "." not in name:
                got = self._call_placeholder(name, depth)  # a helper function another script file defines, maybe
            elif got is None and self.placeholders and re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                got = placeholder(name)  # defined in another script file of the site, maybe
            return self._concat(got, depth) if isinstance(got, str) else got
        self.i += 1
        return None

    def _call_placeholder(self, name: str, depth: int) -> str | None:
        """Return the stand-in for `name(literal, …)`, or None where an argument is not a literal."""
        self.i += 1
        args: list[Any] = []
        while True:
            self.skip()
            if self.i >= self.end or self.text[self.i] == ")":
                self.i += 1
                break
            if self.text[self.i] == ",":
                self.i += 1
                continue
            before = self.i
            args.append(self.value(depth + 1))
            if self.i == before:
                self.i += 1
        if not all(isinstance(a, str) for a in args):
            return None
        return "${" + name + "(" + json.dumps(args, ensure_ascii=False) + ")}"

    def _concat(self, first: Any, depth: int) -> Any:
        """Return `first` joined with the literals that follow it by `+` (`'/api/' + 'list'`)."""
        out = first
        while True:
            self.skip()
            if not self.text.startswith("+", self.i):
                return out
            self.i += 1
            nxt = self.value(depth + 1)
            out = f"{out or ''}{nxt if isinstance(nxt, str) else ''}"

    def string(self) -> str:
        quote = self.text[self.i]
        self.i += 1
        out = []
        while self.i < self.end and self.text[self.i] != quote:
            if self.text[self.i] == "\\" and self.i + 1 < self.end:
                self.i += 1
            out.append(self.text[self.i])
            self.i += 1
        self.i += 1
        return "".join(out)

    def obj(self, depth: int) -> dict[str, Any]:
        self.i += 1
        out: dict[str, Any] = {}
        while True:
            self.skip()
            if self.i >= self.end:
                return out
            if self.text[self.i] == "}":
                self.i += 1
                return out
            if self.text[self.i] == ",":
                self.i += 1
                continue
            if self.text[self.i] in "'\"":
                key = self.string()
            else:
                m = re.compile(r"[\w$]+").match(self.text, self.i, self.end)
                if not m:
                    self._skip_to(",}")
                    continue
                key = m.group(0)
                self.i = m.end()
            self.skip()
            if not self.text.startswith(":", self.i):
                continue  # shorthand `{a, b}`: a name without a value
            self.i += 1
            out[key] = self.value(depth + 1)
            self._skip_to(",}")

    def array(self, depth: int) -> list[Any]:
        self.i += 1
        out = []
        while True:
            self.skip()
            if self.i >= self.end:
                return out
            if self.text[self.i] == "]":
                self.i += 1
                return out
            if self.text[self.i] == ",":
                self.i += 1
                continue
            before = self.i
            out.append(self.value(depth + 1))
            if self.i == before:
                self.i += 1

    def _skip_to(self, stops: str) -> None:
        """Move to the next top-level character in `stops`, past anything nested (an expression, a call)."""
        level = 0
        while self.i < self.end:
            c = self.text[self.i]
            if c in "'\"`":
                self.string()
                continue
            if c == "/" and (self._comment() or self._regex()):
                continue
            if c in stops and level == 0:  # before nesting: `{` may be what is looked for (a function's body)
                return
            if c in "([{":
                level += 1
            elif c in ")]}":
                if level == 0:
                    return
                level -= 1
            self.i += 1

    def _skip_function(self) -> None:
        """Move past a function expression `(…) { … }`."""
        self._skip_to("{")
        if self.i < self.end:
            self.i += 1
            level = 1
            while self.i < self.end and level:
                c = self.text[self.i]
                if c in "'\"`":
                    self.string()
                    continue
                if c == "/" and (self._comment() or self._regex()):
                    continue
                level += c == "{"
                level -= c == "}"
                self.i += 1

    def _comment(self) -> bool:
        """Move past a comment at the cursor and return True (a quote in `// don't` is no string's start)."""
        if not self.text.startswith(("//", "/*"), self.i):
            return False
        self.skip()
        return True

    def _regex(self) -> bool:
        """Move past a regular expression literal at the cursor and return True (a quote, a brace or `//` in `/'/g`
        or `/^https?:\\/\\//` is no string, nesting or comment); False where the slash divides or starts none."""
        if not self.text.startswith("/", self.i):
            return False
        j, lo = self.i - 1, max(0, self.i - 256)
        while j >= lo and self.text[j].isspace():
            j -= 1
        if j >= 0 and (j < lo or (self.text[j] not in _REGEX_AFTER
                                  and not _REGEX_WORD.search(self.text, max(0, j - 8), j + 1))):  # fmt: skip
            return False
        k, in_class = self.i + 1, False
        while k < self.end:
            c = self.text[k]
            if c == "\\":
                k += 2
                continue
            if c == "\n":
                return False  # a literal ends on its own line: this slash was no literal's start
            if in_class:
                in_class = c != "]"
            elif c == "[":
                in_class = True
            elif c == "/":
                break
            k += 1
        else:
            return False
        k += 1
        while k < self.end and self.text[k].isalpha():  # its flags
            k += 1
        self.i = k
        return True

    def _close(self, char: str) -> None:
        self._skip_to(char)
        if self.text.startswith(char, self.i):
            self.i += 1


class _Json(dict):
    """An object literal the script sends through `JSON.stringify`."""

    def __init__(self, value: Any) -> None:
        super().__init__(value if isinstance(value, dict) else {})


def variables(text: str, dom: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """Return the page's `var name = literal` assignments (strings, numbers, objects), first one kept.

    `dom` maps element ids to their attributes, for values a script reads from the page with jQuery.
    """
    text = text[:MAX_SCRIPT_CHARS]
    out: dict[str, Any] = {}
    parser = _Parser(text, out, dom=dom)
    scanned = 0
    for m in _VAR.finditer(text):
        if m.group(1) in out:
            continue
        if scanned > MAX_SCANNED:
            break
        parser.i, parser.end = m.end(), min(len(text), m.end() + MAX_LITERAL_CHARS)
        value = parser.value()
        scanned += parser.i - m.end()
        if value is not None:
            out[m.group(1)] = value
    return out


def literal_at(text: str, start: int, names: dict[str, Any] | None = None) -> Any:
    """Return the literal that starts at `text[start]` (an object, string, number), names resolved from `names`."""
    parser = _Parser(text, names or {})
    parser.i = start
    return parser.value()


def calls(text: str, names: dict[str, Any] | None = None,
          dom: dict[str, dict[str, str]] | None = None) -> list[ScriptCall]:  # fmt: skip
    """Return the requests the script `text` makes with jQuery, axios or fetch, where their address is a literal."""
    text = text[:MAX_SCRIPT_CHARS]
    names = variables(text, dom) if names is None else names
    out: list[ScriptCall] = []
    scanned = 0
    for m in _CALL.finditer(text):
        if scanned > MAX_SCANNED:
            break
        parser = _Parser(text, names, placeholders=True, dom=dom)
        parser.i, parser.end = m.end(), min(len(text), m.end() + MAX_LITERAL_CHARS)
        verb = (m.group("verb") or "fetch").lower()
        first = parser.value()
        scanned += parser.i - m.end()
        if verb == "ajax" and isinstance(first, dict):
            call = _from_options(first.get("url"), first)
        elif isinstance(first, str):
            parser.skip()
            second: Any = None
            if parser.text.startswith(",", parser.i):
                parser.i += 1
                second = parser.value()
            if verb == "fetch":
                call = _from_options(first, second if isinstance(second, dict) else {})
            elif m.group("lib") == "axios" and verb == "get":
                opts = second if isinstance(second, dict) else {}
                call = _from_options(first, {"type": "GET", "data": opts.get("params") or {}})
            else:
                method = "POST" if verb == "post" else "GET"
                call = _from_options(first, {"type": method, "data": second if isinstance(second, dict) else {}})
                if call is not None and m.group("lib") == "axios" and method == "POST":
                    call.json_body = True  # axios sends an object as JSON
        else:
            continue
        if call is not None:
            out.append(call)
    return out


def _from_options(url: Any, options: dict[str, Any]) -> ScriptCall | None:
    """Return the call a jQuery/fetch options object describes, or None without a literal address."""
    if not isinstance(url, str) or not url.strip():
        return None
    method = str(options.get("type") or options.get("method") or "GET").upper()
    data = options.get("data")
    if data is None:
        data = options.get("body")
    json_body = isinstance(data, _Json) or "json" in str(options.get("contentType") or "").lower()
    if isinstance(data, str):
        try:
            parsed = json.loads(data)
            data, json_body = (parsed, True) if isinstance(parsed, dict) else ({}, json_body)
        except (ValueError, RecursionError):  # nested past the recursion limit: no data a list call needs
            data = dict(re.findall(r"([^&=]+)=([^&]*)", data))
    jsonp = str(options.get("dataType") or "").lower() == "jsonp" or "jsonp" in options
    flat = {str(k): _flat(v) for k, v in (data or {}).items()} if isinstance(data, dict) else {}
    return ScriptCall(url.strip(), "POST" if method == "POST" else "GET", flat, json_body and method == "POST", jsonp)


def _flat(value: Any) -> Any:
    """Return a parameter value as sent: a nested object as its JSON text, a missing value as ""."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_$][\w$]*)(?:\((\[.*?\])\))?\}")
_FUNCTION = r"function\s+{name}\s*\(([^)]*)\)\s*\{{\s*return\s+([^;}}]+)"


def placeholder(name: str) -> str:
    """Return the stand-in for a name a script uses but the page does not define (`${name}`)."""
    return "${" + name + "}"


def missing_names(*values: Any) -> set[str]:
    """Return the names (and helper functions) whose values the given texts or parameter dicts still lack."""
    texts: list[str] = []
    for v in values:
        texts.extend(x for x in (v.values() if isinstance(v, dict) else [v]) if isinstance(x, str))
    return {m.group(1) for t in texts for m in _PLACEHOLDER.finditer(t)}


def fill_text(text: str, script: str, names: dict[str, Any] | None = None) -> str:
    """Return `text` with stand-ins replaced by what a script file defines: `var n = …`, `{n: …}`, or a helper
    function `function f(a) { return … }` worked out for the arguments the page gave it. JSON text keeps valid."""
    names = variables(script) if names is None else names

    def one(m: re.Match[str]) -> str:
        name, args = m.group(1), m.group(2)
        got: Any
        if args is not None:
            got = _evaluate(name, json.loads(args), script, names)
        else:
            got = names.get(name)
            if got is None:
                got = find_key(list(names.values()), name)
            if got is None:
                found = re.search(rf"""['"]?{re.escape(name)}['"]?\s*[:=]\s*['"]([^'"]+)['"]""", script)
                got = found.group(1) if found else None
        if not isinstance(got, str):
            return m.group(0)
        inside_json = text.lstrip().startswith("{")
        return json.dumps(got, ensure_ascii=False)[1:-1] if inside_json else got

    return _PLACEHOLDER.sub(one, text)


def fill(params: dict[str, str], script: str) -> dict[str, str]:
    """Return `params` with stand-ins replaced by what another script file defines (see `fill_text`)."""
    names = variables(script)
    return {k: fill_text(v, script, names) for k, v in params.items()}


def _evaluate(name: str, args: list[Any], script: str, names: dict[str, Any]) -> str | None:
    """Return what `function name(p…) { return <literals, names and p joined by +> }` gives for `args`."""
    m = re.search(_FUNCTION.format(name=re.escape(name)), script[:MAX_SCRIPT_CHARS])
    if not m:
        return None
    params = [p.strip() for p in m.group(1).split(",") if p.strip()]
    local = {**names, **dict(zip(params, args, strict=False))}
    got = _Parser(m.group(2), local).value()
    return got if isinstance(got, str) and "${" not in got else None


def find_key(obj: Any, *names: str) -> Any:
    """Return the first value under any of `names` (any case) in a nested literal, or None."""
    wanted = {n.lower() for n in names}
    stack = [obj]
    while stack:
        cur = stack.pop(0)
        if isinstance(cur, dict):
            for k, v in cur.items():
                if k.lower() in wanted and v not in (None, ""):
                    return v
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return None
