"""An opcode-level pickle reader that recovers every import without loading anything.

The reader streams from a binary file object, keeps a model of the unpickler's stack and
memo (only the values that matter: short strings, globals, small tuples and dicts), and
reports each GLOBAL / STACK_GLOBAL / INST import, each extension-registry code, and each
embedded payload that looks like another pickle or archive. Large payloads (tensor bytes)
are skipped, by seeking when the stream allows it. It never calls `pickle.load` or
`find_class`.
"""

from __future__ import annotations

import codecs
import contextlib
import struct
from collections.abc import Callable
from typing import IO, Any, Protocol

from mlvet.artifacts.policy import DECODE_CALLABLES, LOADS_CALLABLES, is_dangerous, normalize

CHUNK = 1 << 20
# Strings up to this size are kept as values (module and class names are far shorter).
KEEP = 4096
# Payloads that look like nested pickles/archives are kept up to this size and scanned.
NESTED_MAX = 64 << 20
# Bounds on the stack model: beyond these the stream is reported as unreadable.
MAX_STACK = 5_000_000
MAX_MEMO = 10_000_000
MAX_LINE = 1 << 16
# Opcode bytes one stream may feed the walk (large payloads are skipped and not counted):
# enough for any real pickle, and a bound on time for a 10 GB stream of tiny opcodes.
MAX_SCAN_BYTES = 256 << 20
MAX_DEPTH = 16


class PickleError(Exception):
    """The stream is malformed, truncated or beyond the reader's bounds."""


class Sink(Protocol):
    def on_global(self, module: str, name: str) -> None: ...
    def on_ext(self, code: int) -> None: ...
    def on_unresolved(self, what: str) -> None: ...
    def on_nested(self, data: bytes, explicit: bool) -> None: ...


class Global:
    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    @property
    def full(self) -> str:
        m, n = normalize(self.module, self.name)
        return f"{m}.{n}"


class Obj:
    """The result of calling a known global: enough to read joblib's array wrappers."""

    __slots__ = ("args", "cls", "state")

    def __init__(self, cls: Global, args: Any) -> None:
        self.cls = cls
        self.args = args
        self.state: Any = None


class Blob:
    """A kept bytes payload (small, or a candidate nested pickle/archive)."""

    __slots__ = ("data", "scanned")

    def __init__(self, data: bytes, scanned: bool) -> None:
        self.data = data
        self.scanned = scanned


class _Nothing:
    __slots__ = ()


_NOTHING = _Nothing()


class _Other:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<other>"


OTHER = _Other()

_JOBLIB_WRAPPERS = frozenset(
    {
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    }
)
_PROTO_HEAD = frozenset(range(0, 6))


def looks_nested(head: bytes) -> bool:
    """Does a payload start like a pickle stream or a zip archive?"""
    if len(head) >= 3 and head[0] == 0x80 and head[1] in _PROTO_HEAD:
        return head[2] in _FIRST_OPS
    if head.startswith(b"PK\x03\x04"):
        return True
    if head[:1] in (b"c", b"(") and b"\n" in head:
        line = head[1:] if head[:1] == b"c" else head[2:] if head[1:2] in b"ci" else b""
        mod = line.split(b"\n", 1)[0]
        return bool(mod) and all(ch in _IDENT for ch in mod)
    return False


_IDENT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_FIRST_OPS = frozenset(b"(.012FIJKLMNPQRSTUVXabcdefghijlopqrstu}])GBC") | frozenset(
    range(0x80, 0x99)
)


def _utf8(data: bytes) -> str:
    # Pickle writes str with surrogatepass; invalid UTF-8 would fail the real unpickler,
    # but a reader must not: keep the bytes visible as escapes.
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape")


def _latin1_payload(text: str) -> bytes | None:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


class PickleReader:
    """Buffered reader over one stream; `walk()` reads one pickle and can be called again
    for the next one in a sequence (legacy torch files, concatenated dumps)."""

    def __init__(self, fh: IO[bytes], sink: Sink, *, depth: int = 0) -> None:
        self.fh = fh
        self.sink = sink
        self.depth = depth
        self.buf = b""
        self.pos = 0
        self.base = 0  # stream offset of buf[0]
        self.eof = False
        try:
            self.seekable = bool(fh.seekable())
        except (AttributeError, OSError, ValueError):
            self.seekable = False
        self.bytes_read = 0
        self.scanned = 0
        # Dicts are modelled only once a joblib array wrapper shows up (their state sizes
        # the raw array bytes that follow); elsewhere they cost time and tell nothing.
        self.track_dicts = False

    # -- buffer management ---------------------------------------------------------
    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _fill(self, need: int) -> bool:
        """Make `need` bytes available at pos; False at end of stream."""
        avail = len(self.buf) - self.pos
        if avail >= need:
            return True
        if self.eof:
            return False
        parts = [self.buf[self.pos :]]
        self.base += self.pos
        self.pos = 0
        while avail < need and not self.eof:
            chunk = self.fh.read(max(CHUNK, need - avail))
            if not chunk:
                self.eof = True
                break
            self.bytes_read += len(chunk)
            self.scanned += len(chunk)
            parts.append(chunk)
            avail += len(chunk)
        self.buf = b"".join(parts)
        return avail >= need

    def at_end(self) -> bool:
        return not self._fill(1)

    def rest(self, limit: int) -> bytes:
        """Up to `limit` bytes from the current position on (consumes them)."""
        data = self.buf[self.pos : self.pos + limit]
        self.pos += len(data)
        if len(data) < limit and not self.eof:
            more = self.fh.read(limit - len(data))
            self.bytes_read += len(more)
            data += more
        return data

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return self.buf[self.pos : self.pos + n]

    def read(self, n: int) -> bytes:
        if not self._fill(n):
            raise PickleError(f"truncated at byte {self.base + len(self.buf)}")
        data = self.buf[self.pos : self.pos + n]
        self.pos += n
        return data

    def skip(self, n: int) -> None:
        avail = len(self.buf) - self.pos
        self.scanned -= min(n, max(avail, 0))  # payload bytes, not opcodes
        if n <= avail:
            self.pos += n
            return
        rest = n - avail
        self.base += len(self.buf)
        self.buf = b""
        self.pos = 0
        if self.seekable and not self.eof:
            try:
                self.fh.seek(rest, 1)
                self.base += rest
                return
            except Exception:  # streams that only claim to seek (tar streams): read instead
                self.seekable = False
        while rest > 0:
            chunk = self.fh.read(min(CHUNK * 8, rest)) if not self.eof else b""
            if not chunk:
                self.eof = True
                raise PickleError(f"truncated at byte {self.base}")
            self.bytes_read += len(chunk)
            rest -= len(chunk)
            self.base += len(chunk)

    def readline(self, limit: int = MAX_LINE) -> bytes:
        nl = self.buf.find(b"\n", self.pos)
        while nl < 0:
            if len(self.buf) - self.pos > limit:
                raise PickleError(f"text argument longer than {limit} bytes at byte {self.offset}")
            have = len(self.buf) - self.pos
            if not self._fill(have + 1):
                raise PickleError(f"truncated at byte {self.base + len(self.buf)}")
            nl = self.buf.find(b"\n", self.pos + have)
        line = self.buf[self.pos : nl]
        self.pos = nl + 1
        return line

    def text_arg(self) -> bytes | None:
        """A STRING/UNICODE argument: the line, or None when it is too long to keep (it is
        then skipped, so a protocol-0 pickle of a large array still reads)."""
        try:
            return self.readline(NESTED_MAX)
        except PickleError:
            if self.eof and self.buf.find(b"\n", self.pos) < 0:
                raise
        self.skip_line()
        return None

    def skip_line(self) -> None:
        """Skip a text argument of any length without keeping it."""
        while True:
            nl = self.buf.find(b"\n", self.pos)
            if nl >= 0:
                self.pos = nl + 1
                return
            self.base += len(self.buf)
            self.buf = b""
            self.pos = 0
            if not self._fill(1):
                raise PickleError(f"truncated at byte {self.base}")

    # -- payloads --------------------------------------------------------------------
    def _payload(self, n: int, as_text: bool) -> Any:
        """Read or skip a length-prefixed payload; returns str, Blob or OTHER."""
        if n < 0:
            raise PickleError(f"negative length at byte {self.offset}")
        if n <= KEEP:
            data = self.read(n)
            if as_text:
                return _utf8(data)
            blob = Blob(data, False)
            if looks_nested(data[:64]):
                blob.scanned = True
                self.sink.on_nested(data, False)
            return blob
        head = self.peek(64)
        if n <= NESTED_MAX:
            if as_text and head[:2] == b"\xc2\x80":
                self.scanned -= n
                text = _utf8(self.read(n))
                self._maybe_nested_text(text)
                return OTHER
            if not as_text and looks_nested(head):
                data = self.read(n)
                self.scanned -= n
                self.sink.on_nested(data, False)
                return Blob(data, True)
        self.skip(n)
        return OTHER

    def _maybe_nested_text(self, text: str) -> None:
        # Protocol 2 stores bytes as _codecs.encode(latin-1 text): undo that to look inside.
        raw = _latin1_payload(text[:64])
        if raw is not None and looks_nested(raw):
            full = _latin1_payload(text)
            if full is not None:
                self.sink.on_nested(full, False)

    # -- the walk --------------------------------------------------------------------
    def walk(self) -> Any:
        """Read one pickle up to and including STOP; returns the modelled result (a small
        value, a Global/Obj, or OTHER). Raises PickleError when malformed."""
        if self.depth > MAX_DEPTH:
            raise PickleError("pickles nested too deeply")
        try:
            return self._walk()
        except (IndexError, struct.error):
            raise PickleError(
                f"truncated: the stream ends at byte {self.base + len(self.buf)} inside an opcode"
            ) from None

    def _walk(self) -> Any:
        # One dispatch loop over local variables: this is the scanner's hot path. The
        # buffer always holds 16 bytes past `pos` (except at the very end), so fixed-size
        # arguments are read without checks; running off the end raises IndexError or
        # struct.error, which walk() reports as truncation. `self.pos` is synced before
        # any helper that reads the stream.
        sink = self.sink
        stack: list[Any] = []
        marks: list[int] = []
        fence = 0  # stack items below this belong to an enclosing MARK
        memo: list[Any] = []
        memo_extra: dict[int, Any] = {}
        push = stack.append
        pop = stack.pop
        unpack_from = struct.unpack_from
        other = OTHER
        track = self.track_dicts
        buf = self.buf
        pos = self.pos
        blen = len(buf)

        # Helpers take the position as an argument: a closure over `pos` would turn every
        # access to it in the loop into a slower cell access.
        def underflow(at: int) -> PickleError:
            return PickleError(f"stack underflow at byte {self.base + at - 1}")

        def memo_put(key: int, value: Any) -> None:
            n = len(memo)
            if key == n:
                if n >= MAX_MEMO:
                    raise PickleError(f"memo larger than {MAX_MEMO} entries")
                memo.append(value)
                while n + 1 in memo_extra:  # absorb keys that now follow on
                    memo.append(memo_extra.pop(n + 1))
                    n += 1
            elif 0 <= key < n:
                memo[key] = value
            else:
                if len(memo_extra) >= MAX_MEMO:
                    raise PickleError(f"memo larger than {MAX_MEMO} entries")
                memo_extra[key] = value

        def memo_get(key: int) -> Any:
            if 0 <= key < len(memo):
                return memo[key]
            if key in memo_extra:
                return memo_extra[key]
            raise PickleError(f"memo key {key} was never stored (near byte {self.offset})")

        def call(func: Any, args: Any) -> Any:
            if not isinstance(func, Global):
                return other
            full = func.full
            if full in LOADS_CALLABLES or full in DECODE_CALLABLES:
                self._call_payload(full, args)
            if not isinstance(args, tuple) or not args:
                return Obj(func, args)
            first = args[0]
            if full == "copyreg._reconstructor" and isinstance(first, Global):
                return Obj(first, args)
            if (
                full == "dill._dill._load_type"
                and isinstance(first, str)
                and is_dangerous("types", first)
            ):
                imported("types", first)  # dill's way to spell types.CodeType & co.
                return Obj(func, args)
            if (
                full in ("copyreg.add_extension", "copy_reg.add_extension")
                and len(args) >= 2
                and isinstance(first, str)
                and isinstance(args[1], str)
            ):
                imported(first, args[1])  # what a later EXT opcode will import
                return Obj(func, args)
            if full in ("_codecs.encode", "codecs.encode") and isinstance(first, str):
                # How protocols 2 and lower spell bytes: keep them as bytes.
                data = _latin1_payload(first)
                if data is not None:
                    nested = looks_nested(data[:64])
                    if nested:
                        sink.on_nested(data, False)
                    return Blob(data, nested)
            return Obj(func, args)

        def imported(module: str, name: str) -> Global:
            nonlocal track
            sink.on_global(module, name)
            if name == "NumpyArrayWrapper":
                track = self.track_dicts = True  # its state dict sizes the array bytes
            return Global(module, name)

        while True:
            if blen - pos < 16:
                self.pos = pos
                self._fill(16)
                buf = self.buf
                pos = self.pos
                blen = len(buf)
                if pos >= blen:
                    raise PickleError(
                        f"truncated: the stream ends at byte {self.base + pos} before its STOP opcode"
                    )
                if len(stack) > MAX_STACK:
                    raise PickleError(f"stack deeper than {MAX_STACK} items")
                if self.scanned > MAX_SCAN_BYTES:
                    raise PickleError(
                        f"scan stopped after {MAX_SCAN_BYTES >> 20} MB of opcodes (size limit)"
                    )
            op = buf[pos]
            pos += 1

            # Ordered roughly by how often each opcode appears in real pickles.
            if op == 0x68:  # BINGET
                key = buf[pos]
                pos += 1
                if key < len(memo):
                    push(memo[key])
                else:
                    self.pos = pos
                    push(memo_get(key))
            elif op == 0x94:  # MEMOIZE
                if len(stack) <= fence:
                    raise underflow(pos)
                n = len(memo)
                if not memo_extra and n < MAX_MEMO:
                    memo.append(stack[-1])
                else:
                    memo_put(n + len(memo_extra), stack[-1])
            elif op == 0x71:  # BINPUT
                if len(stack) <= fence:
                    raise underflow(pos)
                memo_put(buf[pos], stack[-1])
                pos += 1
            elif op == 0x28:  # MARK
                fence = len(stack)
                marks.append(fence)
                if len(marks) > MAX_STACK:
                    raise PickleError(f"more than {MAX_STACK} nested marks")
            elif op == 0x8C:  # SHORT_BINUNICODE
                n = buf[pos]
                if pos + 1 + n <= blen:
                    push(_utf8(buf[pos + 1 : pos + 1 + n]))
                    pos += 1 + n
                else:
                    self.pos = pos + 1
                    push(self._payload(n, True))
                    buf = self.buf
                    pos = self.pos
                    blen = len(buf)
            elif op == 0x75 or op == 0x65 or op == 0x90:  # SETITEMS, APPENDS, ADDITEMS
                if not marks:
                    raise PickleError(f"mark expected at byte {self.base + pos - 1}")
                m = marks.pop()
                fence = marks[-1] if marks else 0
                if m == 0 or m <= fence:
                    raise underflow(pos)
                target = stack[m - 1]
                if track and op == 0x75 and type(target) is dict:
                    items = stack[m:]
                    if len(items) % 2 == 0 and len(target) + len(items) <= 256:
                        for i in range(0, len(items), 2):
                            _store(target, items[i], items[i + 1])
                del stack[m:]
            elif op == 0x4B:  # BININT1
                push(buf[pos])
                pos += 1
            elif op == 0x4D:  # BININT2
                push(buf[pos] | buf[pos + 1] << 8)
                pos += 2
            elif op == 0x4A:  # BININT
                push(unpack_from("<i", buf, pos)[0])
                pos += 4
            elif op == 0x5D:  # EMPTY_LIST
                push(other)
            elif op == 0x7D:  # EMPTY_DICT
                push({} if track else other)
            elif op == 0x29:  # EMPTY_TUPLE
                push(())
            elif op == 0x47:  # BINFLOAT
                push(other)
                pos += 8
            elif op == 0x58:  # BINUNICODE
                (n,) = unpack_from("<I", buf, pos)
                if pos + 4 + n <= blen and n <= KEEP:
                    push(_utf8(buf[pos + 4 : pos + 4 + n]))
                    pos += 4 + n
                else:
                    self.pos = pos + 4
                    push(self._payload(n, True))
                    buf = self.buf
                    pos = self.pos
                    blen = len(buf)
            elif op == 0x52:  # REDUCE
                if len(stack) - 2 < fence:
                    raise underflow(pos)
                args = pop()
                func = pop()
                self.pos = pos
                push(call(func, args))
                if self.buf is not buf or self.pos != pos:
                    buf = self.buf
                    pos = self.pos
                    blen = len(buf)
            elif op == 0x85:  # TUPLE1
                if len(stack) <= fence:
                    raise underflow(pos)
                stack[-1] = (stack[-1],)
            elif op == 0x86:  # TUPLE2
                if len(stack) - 2 < fence:
                    raise underflow(pos)
                b = pop()
                stack[-1] = (stack[-1], b)
            elif op == 0x87:  # TUPLE3
                if len(stack) - 3 < fence:
                    raise underflow(pos)
                c = pop()
                b = pop()
                stack[-1] = (stack[-1], b, c)
            elif op == 0x74:  # TUPLE
                if not marks:
                    raise PickleError(f"mark expected at byte {self.base + pos - 1}")
                m = marks.pop()
                fence = marks[-1] if marks else 0
                items = stack[m:]
                del stack[m:]
                push(tuple(items) if len(items) <= 16 else other)
            elif op == 0x81:  # NEWOBJ
                if len(stack) - 2 < fence:
                    raise underflow(pos)
                args = pop()
                cls = pop()
                push(Obj(cls, args) if isinstance(cls, Global) else other)
            elif op == 0x62:  # BUILD
                if len(stack) - 2 < fence:
                    raise underflow(pos)
                state = pop()
                target = stack[-1]
                if isinstance(target, Obj):
                    target.state = state
                    if target.cls.full in _JOBLIB_WRAPPERS:
                        self.pos = pos
                        self._joblib_array(target)
                        buf = self.buf
                        pos = self.pos
                        blen = len(buf)
            elif op == 0x89:  # NEWFALSE
                push(False)
            elif op == 0x88:  # NEWTRUE
                push(True)
            elif op == 0x4E:  # NONE
                push(None)
            elif op == 0x51:  # BINPERSID
                if len(stack) <= fence:
                    raise underflow(pos)
                stack[-1] = other
            elif op == 0x93:  # STACK_GLOBAL
                if len(stack) - 2 < fence:
                    raise underflow(pos)
                name = pop()
                module = pop()
                if type(module) is str and type(name) is str:
                    push(imported(module, name))
                else:
                    sink.on_unresolved(
                        f"STACK_GLOBAL with operands that are not plain strings (byte {self.base + pos - 1})"
                    )
                    push(other)
            elif op == 0x95:  # FRAME
                pos += 8
            elif op == 0x73:  # SETITEM
                if len(stack) - 3 < fence:
                    raise underflow(pos)
                value = pop()
                key = pop()
                target = stack[-1]
                if track and type(target) is dict and len(target) < 256:
                    _store(target, key, value)
            elif op == 0x61:  # APPEND
                if len(stack) - 2 < fence:
                    raise underflow(pos)
                pop()
            elif op == 0x80:  # PROTO
                if buf[pos] > 5:
                    raise PickleError(f"unsupported pickle protocol {buf[pos]}")
                pos += 1
            elif op == 0x2E:  # STOP
                self.pos = pos
                return stack[-1] if stack else other
            else:
                self.pos = pos
                push_value = self._rare(op, stack, marks, memo_put, memo_get, call, imported)
                fence = marks[-1] if marks else 0
                if push_value is not _NOTHING:
                    push(push_value)
                buf = self.buf
                pos = self.pos
                blen = len(buf)

    def _rare(
        self,
        op: int,
        stack: list[Any],
        marks: list[int],
        memo_put: Callable[[int, Any], None],
        memo_get: Callable[[int], Any],
        call: Callable[[Any, Any], Any],
        imported: Callable[[str, str], Global],
    ) -> Any:
        """The less common opcodes. Works on self.pos; returns a value to push or _NOTHING."""
        fence = marks[-1] if marks else 0

        def pop1() -> Any:
            if len(stack) <= fence:
                raise PickleError(f"stack underflow at byte {self.offset}")
            return stack.pop()

        def pop_mark() -> list[Any]:
            if not marks:
                raise PickleError(f"mark expected at byte {self.offset - 1}")
            m = marks.pop()
            items = stack[m:]
            del stack[m:]
            return items

        if op == 0x63:  # GLOBAL
            module, name = self._name_lines()
            return imported(module, name)
        if op == 0x43:  # SHORT_BINBYTES
            return self._payload(self.read(1)[0], False)
        if op == 0x42:  # BINBYTES
            return self._payload(struct.unpack("<I", self.read(4))[0], False)
        if op in (0x8E, 0x96, 0x8D):  # BINBYTES8, BYTEARRAY8, BINUNICODE8
            return self._payload(struct.unpack("<Q", self.read(8))[0], op == 0x8D)
        if op in (0x55, 0x54):  # SHORT_BINSTRING, BINSTRING
            n = self.read(1)[0] if op == 0x55 else struct.unpack("<i", self.read(4))[0]
            value = self._payload(n, False)
            return value.data.decode("latin-1") if isinstance(value, Blob) else value
        if op == 0x8A:  # LONG1
            data = self.read(self.read(1)[0])
            return int.from_bytes(data, "little", signed=True) if len(data) <= 16 else OTHER
        if op == 0x8B:  # LONG4
            (n,) = struct.unpack("<i", self.read(4))
            if n < 0:
                raise PickleError(f"negative length at byte {self.offset}")
            self.skip(n)
            return OTHER
        if op == 0x72:  # LONG_BINPUT
            (key,) = struct.unpack("<I", self.read(4))
            if len(stack) <= fence:
                raise PickleError(f"stack underflow at byte {self.offset}")
            memo_put(key, stack[-1])
            return _NOTHING
        if op == 0x6A:  # LONG_BINGET
            return memo_get(struct.unpack("<I", self.read(4))[0])
        if op in (0x70, 0x67):  # PUT, GET
            line = self.readline()
            try:
                key = int(line)
            except ValueError:
                raise PickleError(f"bad PUT/GET argument at byte {self.offset}") from None
            if op == 0x67:
                return memo_get(key)
            if len(stack) <= fence:
                raise PickleError(f"stack underflow at byte {self.offset}")
            memo_put(key, stack[-1])
            return _NOTHING
        if op == 0x30:  # POP
            if len(stack) > fence:
                stack.pop()
            elif marks:
                marks.pop()  # POP on an empty mark region drops the mark, as CPython does
            else:
                raise PickleError(f"stack underflow at byte {self.offset}")
            return _NOTHING
        if op == 0x31:  # POP_MARK
            pop_mark()
            return _NOTHING
        if op == 0x32:  # DUP
            if len(stack) <= fence:
                raise PickleError(f"stack underflow at byte {self.offset}")
            return stack[-1]
        if op in (0x6C, 0x64):  # LIST, DICT
            items = pop_mark()
            if op == 0x64 and self.track_dicts and len(items) <= 256 and not len(items) % 2:
                d: dict[Any, Any] = {}
                for i in range(0, len(items), 2):
                    _store(d, items[i], items[i + 1])
                return d
            return OTHER
        if op == 0x8F:  # EMPTY_SET
            return OTHER
        if op == 0x91:  # FROZENSET
            pop_mark()
            return OTHER
        if op == 0x92:  # NEWOBJ_EX
            pop1()
            args = pop1()
            cls = pop1()
            return Obj(cls, args) if isinstance(cls, Global) else OTHER
        if op == 0x69:  # INST
            module, name = self._name_lines()
            cls = imported(module, name)
            return call(cls, tuple(pop_mark()))
        if op == 0x6F:  # OBJ
            items = pop_mark()
            if not items:
                raise PickleError(f"OBJ without a class at byte {self.offset}")
            return call(items[0], tuple(items[1:]))
        if op in (0x82, 0x83, 0x84):  # EXT1, EXT2, EXT4
            width = {0x82: 1, 0x83: 2, 0x84: 4}[op]
            code = int.from_bytes(self.read(width), "little", signed=op == 0x84)
            self.sink.on_ext(code)
            return OTHER
        if op == 0x53:  # STRING
            arg = self.text_arg()
            return OTHER if arg is None else self._string_line(arg)
        if op == 0x56:  # UNICODE
            arg = self.text_arg()
            if arg is None:
                return OTHER
            try:
                text = arg.decode("raw-unicode-escape")
            except UnicodeDecodeError:
                raise PickleError(f"bad UNICODE argument at byte {self.offset}") from None
            if len(text) > KEEP:
                self._maybe_nested_text(text)
                return OTHER
            return text
        if op == 0x49:  # INT
            return self._int_line(self.readline())
        if op == 0x4C:  # LONG
            return self._int_line(self.readline().rstrip(b"L"))
        if op in (0x46, 0x50):  # FLOAT, PERSID
            self.readline()
            return OTHER
        if op == 0x97:  # NEXT_BUFFER
            return OTHER
        if op == 0x98:  # READONLY_BUFFER
            if len(stack) <= fence:
                raise PickleError(f"stack underflow at byte {self.offset}")
            return _NOTHING
        raise PickleError(f"unknown opcode 0x{op:02x} at byte {self.offset - 1}")

    # -- helpers for the walk --------------------------------------------------------
    def _name_lines(self) -> tuple[str, str]:
        """The module and name lines of GLOBAL/INST. Stray whitespace (CRLF line ends
        after a text-mode checkout, padding) is stripped: judge the name, not its spacing."""
        module = self.readline().strip().decode("utf-8", "surrogateescape")
        name = self.readline().strip().decode("utf-8", "surrogateescape")
        return module, name

    def _int_line(self, line: bytes) -> Any:
        text = line.strip()
        if text in (b"00", b"01"):
            return text == b"01"
        try:
            return int(text) if len(text) < 40 else OTHER
        except ValueError:
            raise PickleError(f"bad integer argument at byte {self.offset}") from None

    def _string_line(self, line: bytes) -> Any:
        line = line.rstrip(b"\r")
        if len(line) < 2 or line[:1] != line[-1:] or line[:1] not in (b"'", b'"'):
            raise PickleError(f"STRING argument is not quoted at byte {self.offset}")
        try:
            data = codecs.escape_decode(line[1:-1])[0]
        except ValueError:
            raise PickleError(f"bad STRING escape at byte {self.offset}") from None
        if len(data) > KEEP:
            if looks_nested(data[:64]):
                self.sink.on_nested(data, False)
            return OTHER
        return data.decode("latin-1")

    def _call_payload(self, func: str, args: Any) -> None:
        """`pickle.loads(b"...")` and friends: scan the argument as a nested stream."""
        if not isinstance(args, tuple) or not args:
            return
        arg = args[0]
        data: bytes | None = None
        if isinstance(arg, (Obj, Global)) and func == "torch.storage._load_from_bytes":
            # Allowlisted only because its bytes are scanned: computed bytes are not.
            self.sink.on_unresolved(f"{func} of bytes computed inside the pickle")
            return
        if isinstance(arg, Blob):
            if arg.scanned and func in LOADS_CALLABLES:
                return
            data = arg.data
        elif isinstance(arg, str):
            data = (
                _latin1_payload(arg) if func in LOADS_CALLABLES else arg.encode("utf-8", "replace")
            )
        if data is None:
            return
        if func in DECODE_CALLABLES:
            data = _decode(func, data, args[1:])
            if data is None or not looks_nested(data[:64]):
                return
        self.sink.on_nested(data, True)

    def _joblib_array(self, wrapper: Obj) -> None:
        """joblib writes each numpy array's bytes right after its wrapper's BUILD."""
        state = wrapper.state
        if not isinstance(state, dict):
            raise PickleError("joblib array wrapper without a readable state")
        shape = state.get("shape")
        dtype = state.get("dtype")
        itemsize, is_object = _dtype_itemsize(dtype)
        if not isinstance(shape, tuple) or not all(isinstance(x, int) and x >= 0 for x in shape):
            raise PickleError("joblib array wrapper with an unreadable shape")
        if is_object:
            # Object arrays follow as a nested pickle stream in the same file.
            self.depth += 1
            try:
                self.walk()
            finally:
                self.depth -= 1
            return
        if itemsize is None:
            raise PickleError("joblib array wrapper with an unreadable dtype")
        count = 1
        for x in shape:
            count *= x
        if state.get("numpy_array_alignment_bytes") is not None:
            pad = self.read(1)[0]
            self.skip(pad)
        self.skip(count * itemsize)


def _store(target: dict[Any, Any], key: Any, value: Any) -> None:
    # An unhashable key (a list) would fail the real unpickler too: just skip it.
    with contextlib.suppress(TypeError):
        target[key] = value


def _dtype_itemsize(dtype: Any) -> tuple[int | None, bool]:
    """Item size of a pickled numpy dtype (an Obj of numpy.dtype), and whether it holds objects."""
    if not isinstance(dtype, Obj) or not isinstance(dtype.args, tuple) or not dtype.args:
        return None, False
    descr = dtype.args[0]
    if not isinstance(descr, str) or not descr:
        return None, False
    kind = descr[0]
    if kind == "O":
        return 8, True
    state = dtype.state
    if isinstance(state, tuple) and len(state) >= 6:
        fields = state[4]
        if isinstance(fields, dict) and any(
            isinstance(v, tuple) and v and isinstance(v[0], Obj) and _dtype_itemsize(v[0])[1]
            for v in fields.values()
        ):
            return None, True
        if isinstance(state[5], int) and state[5] > 0:
            return state[5], False
    digits = descr[1:]
    if not digits.isdigit():
        return None, False
    size = int(digits)
    return (size * 4 if kind == "U" else size), False


def _decode(func: str, data: bytes, rest: tuple[Any, ...]) -> bytes | None:
    """Undo the cheap encodings a payload may hide behind (bounded)."""
    import base64
    import binascii
    import zlib

    try:
        if func.startswith("base64.") or func == "binascii.a2b_base64":
            if "urlsafe" in func:
                return base64.urlsafe_b64decode(data)
            return base64.b64decode(data)
        if func in ("codecs.decode", "_codecs.decode"):
            enc = rest[0] if rest and isinstance(rest[0], str) else ""
            if enc.replace("_", "").lower() in ("base64", "base64codec"):
                return base64.b64decode(data)
            if enc.lower() in ("hex", "hex_codec"):
                return binascii.unhexlify(data)
            return None
        if func in ("binascii.unhexlify", "bytes.fromhex"):
            return binascii.unhexlify(data)
        if func == "zlib.decompress":
            d = zlib.decompressobj()
            return d.decompress(data, NESTED_MAX)
    except (ValueError, binascii.Error, zlib.error):
        return None
    return None
