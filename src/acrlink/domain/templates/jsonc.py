"""JSON as ARM reads it: Newtonsoft.Json's lenient reader, which is what ``az`` counts on.

``az deployment group create -f main.json`` splices the template file verbatim into the request body
behind an unquoted ``template:`` key (reference 1.2), so the body may carry ``//`` and ``/* */`` comments,
CRLF line ends and literal newlines or tabs inside strings. Beyond strict JSON this reader accepts:

* ``//`` line comments and ``/* */`` block comments wherever whitespace may stand;
* unquoted property names made of letters, digits, ``_`` and ``$`` (not starting with a digit);
* one trailing comma before ``}`` or ``]`` (``[1,2,]``; ``[,]`` and ``[1,,2]`` stay errors);
* unescaped control characters (newline, tab, ...) inside strings, kept as they are;
* a leading byte-order mark.

Numbers follow JSON's grammar: integers become ``int`` (any size), anything with a fraction or exponent a
``float``. ``NaN``, ``Infinity`` and single-quoted strings are refused (Newtonsoft accepts the latter two
in some modes; ARM templates do not use them).

Duplicate property names (case-sensitive, as ``JObject`` compares them) are an error, with the message
Newtonsoft's ``JObject`` gives when a property is added twice. GUESS: that ARM's reader refuses them
rather than letting the last one win is UNCONFIRMED (``acrlink.unconfirmed.JSON_DUPLICATE_PROPERTY``).

Speed: the text is scanned once with a regular expression that skips strings and records where every
``{`` and ``[`` opens (the positions) and any non-JSON construct; the value itself comes from the C
``json`` decoder, on the original text when it is plain JSON, else on a copy with comments blanked,
trailing commas dropped and bare keys quoted. Only when that fails does the exact (slower) scanner run,
which raises ``JsonSyntaxError`` with the line, column and JSON path where the text went wrong.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from acrlink import unconfirmed

__all__ = ["JsonSyntaxError", "Positions", "loads"]


class JsonSyntaxError(ValueError):
    """The text is not (lenient) JSON. ``line`` and ``column`` are 1-based; the message ends in
    Newtonsoft's ``Path '...', line L, position P.``"""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class Positions:
    """Where each object and array of a parsed value starts in the text (1-based line, column).

    Keyed by ``id()`` of the container; it keeps the parsed value alive so the ids stay valid.
    """

    def __init__(self, text: str, root: Any, offsets: dict[int, int]) -> None:
        self._text = text
        self._root = root
        self._offsets = offsets
        self._lines: list[int] | None = None

    def of(self, obj: Any) -> tuple[int, int] | None:
        """(line, column) of the ``{`` or ``[`` that opens ``obj``, or None if ``obj`` is not a container
        of this document (scalars, copies, values built later)."""
        offset = self._offsets.get(id(obj))
        if offset is None:
            return None
        return _line_col(self._newlines(), offset)

    def _newlines(self) -> list[int]:
        if self._lines is None:
            self._lines = [m.start() for m in re.finditer("\n", self._text)]
        return self._lines


def _line_col(newlines: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_left(newlines, offset)
    start = newlines[line - 1] + 1 if line else 0
    return line + 1, offset - start + 1


# Pass one skips strings whole and finds where containers open and where comments are. Pass two, run only
# when the C decoder refuses the comment-free text, finds bare property names and trailing commas.
_SCAN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(?P<o>[\[{])|(?P<c>//[^\n]*|/\*[\s\S]*?\*/)')
_LENIENT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(?P<w>[^\W\d][\w$]*(?=\s*:))|(?P<t>,(?=\s*[\]}]))')
_WS = " \t\n\r"


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _Duplicate()
    return d


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def loads(text: str) -> tuple[Any, Positions]:
    """Parse ``text`` leniently (see the module docstring); return the value and where its containers start.

    Raises ``JsonSyntaxError`` (a ValueError) with a Newtonsoft-style message on malformed input.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    fast = _fast(text)
    if fast is not None:
        return fast[0], Positions(text, fast[0], fast[1])
    value, offsets = _Scanner(text).document()
    return value, Positions(text, value, offsets)


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    if not edits:
        return text
    pieces: list[str] = []
    last = 0
    for start, end, repl in edits:
        pieces.append(text[last:start])
        pieces.append(repl)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _decode(source: str) -> Any:
    return json.loads(source, strict=False, object_pairs_hook=_pairs, parse_constant=_no_constant)


_BARE_KEY = re.compile(r"[^\W\d][\w$]*(?=\s*:)")
_GUIDED_RETRIES = 16


def _repair(source: str, pos: int) -> str | None:
    """The decoder stopped at ``pos``: quote a bare property name there, or drop the trailing comma before
    the ``}``/``]`` there. None when neither applies."""
    m = _BARE_KEY.match(source, pos)
    if m:
        return source[:pos] + '"' + m.group() + '"' + source[m.end() :]
    if source[pos : pos + 1] in ("}", "]"):
        j = pos - 1
        while j >= 0 and source[j] in _WS:
            j -= 1
        if j > 0 and source[j] == ",":
            k = j - 1
            while k >= 0 and source[k] in _WS:
                k -= 1
            if k >= 0 and source[k] not in "[{,":
                return source[:j] + " " + source[j + 1 :]
    return None


def _lenient(source: str) -> str | None:
    """Every bare property name quoted and every trailing comma dropped, in one pass."""
    edits: list[tuple[int, int, str]] = []
    for m in _LENIENT.finditer(source):
        kind = m.lastgroup
        if kind == "w":
            edits.append((m.start(), m.end(), '"' + m.group() + '"'))
        elif kind == "t":  # only after a value; '[,]' is left for the exact scanner to refuse
            j = m.start() - 1
            while j >= 0 and source[j] in _WS:
                j -= 1
            if j >= 0 and source[j] not in "[{,":
                edits.append((m.start(), m.end(), " "))
    return _splice(source, edits) if edits else None


def _fast(text: str) -> tuple[Any, dict[int, int]] | None:
    opens: list[int] = []
    comments: list[tuple[int, int, str]] = []
    for m in _SCAN.finditer(text):
        kind = m.lastgroup
        if kind == "o":
            opens.append(m.start())
        elif kind == "c":
            comments.append((m.start(), m.end(), " "))
    source: str | None = _splice(text, comments)
    value: Any = None
    tries = 0
    while True:
        if source is None:
            return None
        try:
            value = _decode(source)
            break
        except json.JSONDecodeError as e:
            tries += 1
            if tries <= _GUIDED_RETRIES:
                source = _repair(source, e.pos)
            elif tries == _GUIDED_RETRIES + 1:
                source = _lenient(source)
            else:
                return None
        except (ValueError, RecursionError):
            return None
    offsets: dict[int, int] = {}
    stack = [value] if type(value) is dict or type(value) is list else []
    n = 0
    count = len(opens)
    while stack:
        v = stack.pop()
        if n >= count:
            return None
        offsets[id(v)] = opens[n]
        n += 1
        children = v.values() if type(v) is dict else v
        stack.extend(x for x in reversed(children) if type(x) is dict or type(x) is list)
    if n != count:
        return None
    return value, offsets


_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?P<f>(?:\.\d+)?(?:[eE][+-]?\d+)?)")
_BAREWORD = re.compile(r"[^\W\d][\w$]*")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PLAIN_KEY = re.compile(r"[A-Za-z_$][\w$]*")
_MAX_DEPTH = 900


class _Scanner:
    """The exact reader: slower, tracks the JSON path, and says where and why the text is wrong."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.path: list[str | int] = []
        self.offsets: dict[int, int] = {}
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    # errors -----------------------------------------------------------------------------------------
    def _path(self) -> str:
        out = ""
        for p in self.path:
            if isinstance(p, int):
                out += f"[{p}]"
            elif _PLAIN_KEY.fullmatch(p):
                out += ("." if out else "") + p
            else:
                out += "['" + p.replace("'", "\\'") + "']"
        return out

    def fail(self, message: str, at: int | None = None) -> JsonSyntaxError:
        at = self.i if at is None else at
        line, col = _line_col(self.newlines, min(at, len(self.text)))
        if at >= len(self.text):
            col = max(col - 1, 0)
        full = f"{message} Path '{self._path()}', line {line}, position {col}."
        return JsonSyntaxError(full, line, col)

    def _char(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    # lexing -----------------------------------------------------------------------------------------
    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c in _WS:
                self.i += 1
            elif c == "/" and text.startswith("//", self.i):
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end
            elif c == "/" and text.startswith("/*", self.i):
                end = text.find("*/", self.i + 2)
                if end < 0:
                    self.i = n
                    raise self.fail("Unexpected end while parsing comment.")
                self.i = end + 2
            elif c == "/":
                after = text[self.i + 1 : self.i + 2]
                raise self.fail(f"Unexpected character encountered while parsing comment: {after}.")
            else:
                return

    def string(self) -> str:
        text = self.text
        self.i += 1
        out: list[str] = []
        while True:
            end = self.i
            while end < len(text) and text[end] != '"' and text[end] != "\\":
                end += 1
            out.append(text[self.i : end])
            if end >= len(text):
                self.i = len(text)
                raise self.fail('Unterminated string. Expected delimiter: ".', at=len(text))
            if text[end] == '"':
                self.i = end + 1
                return "".join(out)
            esc = text[end + 1 : end + 2]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                self.i = end + 2
            elif esc == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[end + 2 : end + 6]):
                code = int(text[end + 2 : end + 6], 16)
                self.i = end + 6
                if 0xD800 <= code < 0xDC00 and re.match(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", text[self.i : self.i + 6]):
                    low = int(text[self.i + 2 : self.i + 6], 16)
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    self.i += 6
                out.append(chr(code))
            else:
                raise self.fail(f"Bad JSON escape sequence: \\{esc}.", at=end + 1)

    # values -----------------------------------------------------------------------------------------
    def document(self) -> tuple[Any, dict[int, int]]:
        self.skip()
        if self.i >= len(self.text):
            raise self.fail("Unexpected end when reading JSON.")
        value = self.value(0)
        self.skip()
        if self.i < len(self.text):
            raise self.fail(f"Additional text encountered after finished reading JSON content: {self._char()}.")
        return value, self.offsets

    def value(self, depth: int) -> Any:
        c = self._char()
        if c == "{":
            return self.obj(depth + 1)
        if c == "[":
            return self.arr(depth + 1)
        if c == '"':
            return self.string()
        if c == "":
            raise self.fail("Unexpected end when reading JSON.")
        m = _NUMBER.match(self.text, self.i)
        if m:
            after = self.text[m.end() : m.end() + 1]
            if after and (after.isalnum() or after in "._"):
                tail = re.match(r"[\w.+\-]*", self.text[self.i :])
                word = tail.group() if tail else m.group()
                raise self.fail(f"Input string '{word}' is not a valid number.")
            self.i = m.end()
            return float(m.group()) if m.group("f") else int(m.group())
        w = _BAREWORD.match(self.text, self.i)
        if w and w.group() in ("true", "false", "null"):
            self.i = w.end()
            return {"true": True, "false": False, "null": None}[w.group()]
        raise self.fail(f"Unexpected character encountered while parsing value: {c}.")

    def obj(self, depth: int) -> dict[str, Any]:
        if depth > _MAX_DEPTH:
            raise self.fail("The reader's MaxDepth has been exceeded.")
        out: dict[str, Any] = {}
        self.offsets[id(out)] = self.i
        self.i += 1
        while True:
            self.skip()
            c = self._char()
            if c == "}":
                self.i += 1
                return out
            if c == "":
                raise self.fail("Unexpected end when reading JSON.")
            key_at = self.i
            if c == '"':
                key = self.string()
            else:
                w = _BAREWORD.match(self.text, self.i)
                if not w:
                    raise self.fail(f"Invalid property identifier character: {c}.")
                key = w.group()
                self.i = w.end()
            self.path.append(key)
            self.skip()
            if self._char() != ":":
                got = self._char()
                if got == "":
                    raise self.fail("Unexpected end when reading JSON.")
                raise self.fail(f"Invalid character after parsing property name. Expected ':' but got: {got}.")
            self.i += 1
            if key in out:
                raise self.fail(unconfirmed.JSON_DUPLICATE_PROPERTY.format(name=key), at=key_at)
            self.skip()
            out[key] = self.value(depth)
            self.skip()
            c = self._char()
            self.path.pop()
            if c == ",":
                self.i += 1
                self.skip()
                if self._char() == "}":
                    self.i += 1
                    return out
                continue
            if c == "}":
                self.i += 1
                return out
            if c == "":
                raise self.fail("Unexpected end when reading JSON.")
            self.path.append(key)
            raise self.fail(f"After parsing a value an unexpected character was encountered: {c}.")

    def arr(self, depth: int) -> list[Any]:
        if depth > _MAX_DEPTH:
            raise self.fail("The reader's MaxDepth has been exceeded.")
        out: list[Any] = []
        self.offsets[id(out)] = self.i
        self.i += 1
        self.skip()
        if self._char() == "]":
            self.i += 1
            return out
        while True:
            self.skip()
            self.path.append(len(out))
            out.append(self.value(depth))
            self.skip()
            c = self._char()
            if c == ",":
                self.path.pop()
                self.i += 1
                self.skip()
                if self._char() == "]":
                    self.i += 1
                    return out
                continue
            if c == "]":
                self.path.pop()
                self.i += 1
                return out
            if c == "":
                raise self.fail("Unexpected end when reading JSON.")
            raise self.fail(f"After parsing a value an unexpected character was encountered: {c}.")
