"""The text gates for ML201 (unseeded randomness) and ML202 (missing random_state).

Both let a file through when its text holds a call the checker could report, judged
from the text the way the checker judges the parsed call (its tables come in through
`SeedRules` / `StateRules`, built next to the checkers). They may let extra files
through, never hold one back. ML202's is described at `RandomStateGate`.

ML201 reports draws from a global generator in a file that never seeds their family,
generator objects made without a fixed seed, and JAX keys made from a seed that changes
per run. Its gate (`SeedGate`):

- callees are found by a few literal scans (`random.`, `random_split`, `torch.randn`,
  `DataLoader`, ...) and, where the text imports or assigns a module or callee under a
  name of its own, by that name; a dotted name is resolved through every binding its
  head gets anywhere in the text (`np`, `torch`, `tf` always mean numpy, torch and
  tensorflow: another binding adds no draw);
- a call is set aside only where the text shows the checker skips it: a doctest line,
  a comment or a string; `generator=` or `**kwargs` on a torch draw; an op-level `seed=`
  on a TensorFlow op; a `DataLoader` without a literal true `shuffle`; a draw in a
  function that reads `training` (dropout-like code, told by indentation; any doubt
  about which function holds the call counts the draw); a generator object or JAX key
  whose seed cannot change per run (a literal, or names never assigned from the clock,
  OS entropy or a random call);
- a draw counts unless the text also seeds its family (or every family) with a value
  that cannot change per run. Seed functions from the config only add seeds, so the
  gate, which cannot see them, lets through a superset.
Anything the scan cannot read (an unclosed bracket, an over-long call) counts.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from mlvet.rules.base import CONVENTIONAL_MODULES
from mlvet.rules.textgate import contains, followed_by, import_matches, in_doctest

# What the checker does with a call of a qualified name (see `SeedRules.kind`).
DRAW = "draw"  # a global draw (random, numpy): reported unless in dropout-like code
GENERATOR = "generator"  # a torch draw or sampler: not with generator= or **kwargs
LOADER = "loader"  # torch DataLoader: with a literal true shuffle
TF_OP = "tf"  # a TensorFlow random op: not with an op-level seed
JAX_KEY = "jax"  # a JAX key: with a seed that changes per run
INSTANCE = "instance"  # a generator object: with no seed, None, or one that changes
ALWAYS = "always"  # reported wherever it is made


@dataclass(frozen=True)
class SeedRules:
    """The checker's tables, as the gate needs them (built next to the checker)."""

    # qualified callee -> DRAW, GENERATOR, ... (None: not judged)
    kind: Callable[[str], str | None]
    # (qualified callee or None, callee name) -> the family it seeds, "all", or None
    seeder: Callable[[str | None, str], str | None]
    # generator object -> (positional index, keyword) of its seed argument
    seed_args: Mapping[str, tuple[int, str]]
    seed_keywords: frozenset[str]  # keywords a seed call takes its value from
    entropy_prefixes: tuple[str, ...]  # callees whose value changes per run


# Heads of the qualified names that matter: for draws, and for values that change per run.
_MODULES = frozenset({"random", "numpy", "torch", "tensorflow", "jax"})
_ENTROPY_MODULES = frozenset({"time", "random", "numpy", "os", "secrets", "uuid", "datetime"})
# Conventional names whose calls mean the same whatever the file imports under them
# (`import jax.numpy as np` adds no draw); `random` may be numpy's, jax's or keras's.
_FIXED_HEADS = frozenset({"np", "numpy", "torch", "tf"})
# Text in a seed expression that makes it change per run, however it is bound.
_ENTROPY_TEXT = re.compile(
    r"(?<![\w.])(?:time|secrets|uuid)[ \t]*\.|urandom|getpid|utcnow|\b(?:now|today)[ \t]*\("
)
_ANYWAY = "!"  # a finding no seed silences (generator objects)

# -- fixed scans: every call that can be a finding is spelt like one of these
# random.x, np.random.x, tf.random.x, jax.random.x, random_split, tf.random_normal,
# tf.image.random_flip; `import random as rnd`, `from numpy.random import rand`, `= np.random`
_RANDOM_SCAN = re.compile(
    r"random(?:(\.\w+|_(?:split|normal|uniform|shuffle|crop|gamma|poisson|flip_\w+|brightness"
    r"|contrast|hue|saturation|jpeg_quality)\b|(?<=image\.random)_\w+)"
    r"|[ \t]+(as|import)\b|(?<=[.= \t]random)[ \t]*(?=[\r\n;#]|$))"
)
# torch.randn, ...; torch.utils; `import torch as th`, `from torch import randn`, `= torch`
_TORCH_SCAN = re.compile(
    r"torch(?:[ \t]*\.[ \t]*(?:(rand|randn|randint|randperm|rand_like|randn_like|randint_like"
    r"|normal|bernoulli|multinomial|poisson)\b|(utils)\b)"
    r"|[ \t]+(as\b|import[ \t]+(?:\([^)]{0,3000}\)?|[^\n;#]{0,600}))"
    r"|(?<=[= \t]torch)[ \t]*(?=[\r\n;#]|$))"
)
_TORCH_DRAW_NAME = re.compile(r"\b(?:as|rand\w*|normal|bernoulli|multinomial|poisson)\b|\*")
_TORCH_DATA_NAMES = ("DataLoader", "RandomSampler")
_TF1_NAMES = ("truncated_normal", "multinomial")

# -- bindings
_FROM_IMPORT = re.compile(
    r"from[ \t]+((?:random|numpy|torch|tensorflow|jax|time|os|secrets|uuid|datetime)\b[\w.]*)"
    r"[ \t]+import[ \t]+(\([^)]{0,3000}\)?|(?:[^\n;#\\]|\\\r?\n){0,600})"
)
# `import numpy.random as npr, torch as th` (not the tail of a from-import)
_IMPORT_AS = re.compile(r"import[ \t]+((?:[\w. \t,]|\\\r?\n){0,600}[ \t]as[ \t][\w. \t,]{0,600})")
_FROM_BEFORE = re.compile(r"from[ \t]+[\w.]+[ \t]+\Z")
_AS = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?")
_ASSIGNED_MODULE = re.compile(r"[ \t]*(?:\w+[ \t]*=[ \t]*)+(?:[\w.]*\.)?")
# `rs = np.random`, `th = torch`: a module under another name (module-level aliases)
_MODULE_ASSIGN = re.compile(
    r"=[ \t]*((?:torch|random|np|numpy|tf|tensorflow|jax)(?:[ \t]*\.[ \t]*\w+)*)[ \t]*(?=[\r\n;#]|$)"
)
_TARGETS = re.compile(r"[ \t]*(?:\w+[ \t]*=[ \t]*)*\w+[ \t]*")

# -- calls
_DOTTED_TAIL = re.compile(r"(?:[ \t]*\.[ \t]*\w+)*")
_CALL_OPEN = re.compile(r"\s*\(")
_SPACES = re.compile(r"[ \t]")
_STATEMENT_END = re.compile(r"[ \t]*(?:[\r\n;#]|$)")
_OPERATOR_CHARS = frozenset("=!<>+-*/%&|^@:")
_SEED_CALL = re.compile(r"seed(?:_everything|_all)?[ \t]*\(")
_NAME_CHAIN = re.compile(r"[A-Za-z_][\w.]*")
_KEYWORD_NAME = re.compile(r"[ \t]*=(?!=)")
_NOT_NAMES = frozenset({"None", "True", "False", "and", "or", "not", "if", "else", "in", "is"})
_MAX_DEPTH = 12
# Strings and comments, for telling whether a position sits inside a docstring.
_TOKENS = re.compile(
    r"#[^\n]*"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:"""|\Z)'
    r"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|\Z)"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"?'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'?",
    re.S,
)


class SeedGate:
    """`search(text)`: whether the text holds a call ML201 could report (see the module)."""

    def __init__(self, rules: SeedRules) -> None:
        self.rules = rules
        self.pattern = "ML201: draws, generator objects and JAX keys"

    def __repr__(self) -> str:
        return "SeedGate()"

    def search(self, text: str, /) -> bool:
        # Every callee the checker judges is spelt with "random" (random, np.random,
        # jax.random, random_split, RandomSampler's import), "torch", or is a TF1 op.
        if not (
            contains(text, "random")
            or contains(text, "torch")
            or any(contains(text, n) for n in _TF1_NAMES)
        ):
            return False
        return _File(text, self.rules).any_finding()


class _Text:
    """A text being gated: where its code is, and the dotted names in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._strings: tuple[list[int], list[int]] | None = None
        self._triples: tuple[list[int], list[int]] | None = None
        self._code_checks = 0

    def _chain(self, start: int, end: int) -> tuple[int, int]:
        """Widen a match to the whole dotted name around it."""
        text = self.text
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_."):
            start -= 1
        tail = _DOTTED_TAIL.match(text, end)
        return start, tail.end() if tail else end

    def _is_code(self, pos: int) -> bool:
        """Not a doctest line, a comment, or a string (one-line, or a docstring)."""
        text = self.text
        if in_doctest(text, pos):
            return False
        line = text[text.rfind("\n", 0, pos) + 1 : pos]
        if '"""' in line or "'''" in line:
            return self._outside_strings(pos)  # the line may open or close a docstring
        if ("#" in line or "'" in line or '"' in line) and _open_quote(line) is not None:
            return False  # a comment or a one-line string
        if self._triples is None:
            self._code_checks += 1
            if self._code_checks > 3:  # many calls: index the triple quotes once
                self._triples = (
                    [m.start() for m in re.finditer('"""', text)],
                    [m.start() for m in re.finditer("'''", text)],
                )
        if self._triples is None:
            if not _odd_triples(text, 0, pos):
                return True
        elif all(bisect.bisect_left(t, pos) % 2 == 0 for t in self._triples):
            return True
        # an odd count of triple quotes before it: read the strings to be sure
        return self._outside_strings(pos)

    def _outside_strings(self, pos: int) -> bool:
        if self._strings is None:
            spans = [m.span() for m in _TOKENS.finditer(self.text)]
            self._strings = ([s for s, _ in spans], [e for _, e in spans])
        starts, ends = self._strings
        i = bisect.bisect_right(starts, pos) - 1
        return i < 0 or ends[i] <= pos


class _File(_Text):
    """One text: its bindings, read when first needed, and its candidate calls."""

    def __init__(self, text: str, rules: SeedRules) -> None:
        super().__init__(text)
        self.rules = rules
        self._aliases: dict[str, set[str]] | None = None
        self._entropy_aliases: dict[str, set[str]] = {}
        self._assigned: dict[str, set[str]] = {}
        self.stars: list[str] = []
        self._training: dict[int, tuple[int, int, bool]] = {}
        self._holds_memo: dict[str, bool] = {}
        self._judging: dict[str, bool] = {}
        self._seeds: set[str] | None = None

    # -- the answer ----------------------------------------------------------------

    def any_finding(self) -> bool:
        judged: set[str] = set()
        seen: set[tuple[int, int]] = set()
        for span in self._candidates():
            if span in seen:
                continue
            seen.add(span)
            for family in self._judge(*span, judged) - judged:
                if family == _ANYWAY or not self._seeded(family):
                    return True
                judged.add(family)
        return False

    def _candidates(self) -> Iterator[tuple[int, int]]:
        """(start, end) of dotted names that may name a judged callee; then, where the
        text may import or assign one under a name of its own, every use of that name."""
        text = self.text
        renamed = False
        if contains(text, "random"):
            for m in _RANDOM_SCAN.finditer(text):
                if m.group(1):
                    yield self._chain(m.start(), m.end())
                elif m.group(2) or self._assigns_module(m.start()):
                    renamed = True  # `import random as rnd`, `from numpy.random import rand`
        utils = False
        if contains(text, "torch"):
            for m in _TORCH_SCAN.finditer(text):
                if m.group(1):
                    yield self._chain(m.start(), m.end())
                elif m.group(2):
                    utils = True
                elif m.group(3):  # `import torch as th`, `from torch import randn`
                    renamed = renamed or _TORCH_DRAW_NAME.search(m.group(3)) is not None
                    utils = utils or "utils" in m.group(3)
                elif self._assigns_module(m.start()):
                    renamed = True  # `th = torch`
        # DataLoader, RandomSampler: bare only through an import from torch.utils
        names = [n for n in _TORCH_DATA_NAMES if utils and contains(text, n)]
        names += [n for n in _TF1_NAMES if contains(text, n)]
        for name in names:
            for m in re.finditer(name, text):
                yield self._chain(m.start(), m.end())
        if utils and any(
            contains(text, f"{n} as") for n in ("DataLoader", "RandomSampler", "random_split")
        ):
            renamed = True  # `from torch.utils.data import DataLoader as DL`
        if not renamed:
            return
        aliases = self.aliases  # read the imports (and star imports)
        for module in self.stars:
            if module in ("random", "numpy.random", "torch"):
                yield 0, 0  # bare draws through a star import: not worth reading
        # names bound to a module or callee of interest: `th.randn`, `npr.rand`, `rn(2)`
        for name, targets in aliases.items():
            if any(self._renames(name, t) for t in targets):
                for start, end in followed_by(text, name, ""):
                    yield self._chain(start, end)

    def _assigns_module(self, pos: int) -> bool:
        """`name = [np.]random` ends at `pos`: an assignment of the module."""
        line = self.text.rfind("\n", 0, pos) + 1
        if _ASSIGNED_MODULE.fullmatch(self.text, line, pos) is None:
            return False
        for m in _MODULE_ASSIGN.finditer(self.text):
            self._bind_assignment(m.start(), m.group(1))
        return True

    def _renames(self, name: str, target: str) -> bool:
        """Calls through `name` (bound to `target`) may be judged."""
        if self.rules.kind(target) is not None:  # `from torch import randn as rn`
            return True
        if target == "torch":  # `th.randn`
            return name != "torch"
        # `npr.rand`, `rnd.shuffle`, `jr.PRNGKey`; `random.x` is already scanned
        return target.endswith("random") and name != "random"

    # -- one call ------------------------------------------------------------------

    def _judge(self, start: int, end: int, judged: set[str]) -> set[str]:
        """The families a finding at this dotted name could be reported for
        (`_ANYWAY` for generator objects, which no seed silences); `judged` are
        families already known to be seeded."""
        if start == end:
            return {_ANYWAY}
        text = self.text
        if text[start] == "." or text[start].isdigit() or _word_at(text, end):
            return set()  # an attribute of an expression (`f().random.rand`), or a longer name
        chain = _SPACES.sub("", text[start:end])
        kind = self.rules.kind
        found = {(q, k) for q in self.resolve(chain) if (k := kind(q)) is not None}
        if all(_family(q, k) in judged for q, k in found) or not self._is_code(start):
            return set()
        after = _CALL_OPEN.match(text, end)
        if after is None:
            # `rn = torch.randn` at module level makes `rn(...)` the draw
            if not _alias_value(text, start, end):
                return set()
            return {_family(q, k) for q, k in found}
        args = _call_args(text, after.end() - 1)
        return {_family(q, k) for q, k in found if self._reported(k, q, args, start)}

    def _reported(self, kind: str, q: str, args: str | None, pos: int) -> bool:
        """Whether the checker could report this call (`on_call` and its helpers)."""
        if args is None or kind == ALWAYS:
            return True  # unreadable call: count it
        items = _items(args)
        keywords = dict(k for k in map(_keyword, items) if k[0])
        positional = [i for i in items if not _keyword(i)[0] and not i.startswith("**")]
        stars = any(i.startswith("**") for i in items)
        if kind == INSTANCE:  # `_instance`: no seed, None, or one that changes per run
            if any(i.startswith("*") for i in items):
                return False
            index, name = self.rules.seed_args[q]
            value = keywords.get(name)
            if value is None and len(positional) > index:
                value = positional[index]
            return value is None or value == "None" or self._may_vary(value)
        if kind == JAX_KEY:
            value = keywords.get("seed")
            if value is None:
                if not positional or positional[0].startswith("*"):
                    return False
                value = positional[0]
            return self._may_vary(value) and not self._in_training_code(pos)
        if kind == GENERATOR and (stars or "generator" in keywords):
            return False
        if kind == LOADER:
            if stars or {"generator", "sampler", "batch_sampler"} & keywords.keys():
                return False
            shuffle = keywords.get("shuffle")
            if shuffle is None:
                if len(positional) < 3 or any(i.startswith("*") for i in positional[:3]):
                    return False
                shuffle = positional[2]
            if not _may_be_true(shuffle):
                return False
        if kind == TF_OP and keywords.get("seed", "None") != "None":
            return False
        return not self._in_training_code(pos)

    # -- bindings ------------------------------------------------------------------

    @property
    def aliases(self) -> dict[str, set[str]]:
        if self._aliases is None:
            self._aliases = {}
            self._read_imports()
        return self._aliases

    def resolve(self, chain: str) -> set[str]:
        """Every qualified name `chain` may stand for (through any binding of its head)."""
        head, dot, rest = chain.partition(".")
        conventional = CONVENTIONAL_MODULES.get(head)
        if head in _FIXED_HEADS:
            return {f"{conventional}{dot}{rest}"}
        targets = set(self.aliases.get(head, ()))
        if conventional is not None:
            targets.add(conventional)
        if head in _MODULES:
            targets.add(head)  # `import jax`, `import tensorflow`
            # `random = np.random` is bound by the scan that finds it, before later uses
        elif dot:
            # `xp = np` then `xp.random.rand()`; a bare `rn = torch.randn` is found by
            # the scan that finds `torch.randn` (an alias value counts)
            targets |= self._assigned_module(head)
        return {f"{t}{dot}{rest}" for t in targets}

    def _bind(self, name: str, target: str) -> None:
        assert self._aliases is not None
        head = target.partition(".")[0]
        if head in _MODULES:
            self._aliases.setdefault(name, set()).add(target)
        if head in _ENTROPY_MODULES:
            self._entropy_aliases.setdefault(name, set()).add(target)

    def _read_imports(self) -> None:
        """Bind what `from <module of interest> import ...` and `import x as y` bring in
        (a plain `import jax` binds the module's own name, which `resolve` assumes)."""
        text = self.text
        if not contains(text, "import"):
            return
        for m in _FROM_IMPORT.finditer(text):
            if _word_before(text, m.start()):
                continue
            module = m.group(1)
            for item in _import_items(m.group(2)):
                if item == "*":
                    self.stars.append(module)
                elif a := _AS.fullmatch(item):
                    self._bind(a.group(2) or a.group(1), f"{module}.{a.group(1)}")
        if not contains(text, " as "):
            return
        for m in import_matches(text, _IMPORT_AS):
            start = m.start()
            line = text[text.rfind("\n", 0, start) + 1 : start]
            if _word_before(text, start) or _FROM_BEFORE.search(line):
                continue
            for item in _import_items(m.group(1)):
                a = _AS.fullmatch(item)
                if a and a.group(2):
                    self._bind(a.group(2), a.group(1))

    def _bind_assignment(self, pos: int, value: str) -> list[str]:
        """`name = value` at `pos` (the `=`): bind the names; return them."""
        text = self.text
        self.aliases  # noqa: B018 - imports first
        targets = text[text.rfind("\n", 0, pos) + 1 : pos]
        if not _TARGETS.fullmatch(targets) or targets[-1:] in _OPERATOR_CHARS:
            return []
        names = re.findall(r"\w+", targets)
        for target in self.resolve(_SPACES.sub("", value)):
            for name in names:
                self._bind(name, target)
        return names

    def _assigned_module(self, head: str) -> set[str]:
        """`xp = np`, `rs = np.random`: what an assignment may make of `head`."""
        known = self._assigned.get(head)
        if known is None:
            known = self._assigned[head] = set()
            text = self.text
            assign = rf"{re.escape(head)}[ \t]*=[ \t]*([A-Za-z_][\w.]*)[ \t]*(?=[\r\n;#]|$)"
            for m in re.finditer(assign, text):
                start = m.start()
                if not (start and (text[start - 1].isalnum() or text[start - 1] in "_.")):
                    known |= self.resolve(m.group(1))
        return known

    # -- seeds ---------------------------------------------------------------------

    def _seeded(self, family: str) -> bool:
        """The text certainly seeds `family` (or every family) somewhere."""
        if self._seeds is None:
            self._seeds = self._read_seeds()
        return family in self._seeds or "all" in self._seeds

    def _read_seeds(self) -> set[str]:
        text = self.text
        out: set[str] = set()
        if not contains(text, "seed"):
            return out
        for m in _SEED_CALL.finditer(text):
            paren = m.end() - 1
            start, _ = self._chain(m.start(), m.start())
            chain = _SPACES.sub("", text[start:paren])
            if not chain or chain[0] == "." or not self._is_code(start):
                continue
            name = chain.rpartition(".")[2]
            callees: set[str | None] = set(self.resolve(chain)) or {None}
            effects = {self.rules.seeder(q, name) for q in callees}
            if None in effects or len(effects - {"all"}) > 1:
                continue  # not certainly a seed (or seeds one of several families)
            args = _call_args(text, paren)
            if args is not None and self._seeds_value(args):
                out |= {e for e in effects if e is not None}
        return out

    def _seeds_value(self, args: str) -> bool:
        """The call passes a seed that is the same on every run (`_seed_value`)."""
        items = _items(args)
        value: str | None = None
        positional = [i for i in items if not _keyword(i)[0] and not i.startswith("**")]
        if positional:
            value = positional[0]
        else:
            for item in items:
                key, val = _keyword(item)
                if item.startswith("**"):
                    return True  # a seed passed through **kwargs counts
                if key in self.rules.seed_keywords:
                    value = val
                    break
        if value is None or value == "None":
            return False
        return value.startswith("*") or not self._may_vary(value)

    def _may_vary(self, expr: str, depth: int = 0) -> bool:
        """A seed expression may change per run: it calls the clock, OS entropy or a
        random module, or reads a name assigned (anywhere) from such an expression."""
        if _ENTROPY_TEXT.search(expr):
            return True
        for m in _NAME_CHAIN.finditer(expr):
            chain = m.group()
            if chain in _NOT_NAMES or _KEYWORD_NAME.match(expr, m.end()):
                continue
            # called or not: `clock = time.time` makes `clock()` the clock
            if any(q.startswith(self.rules.entropy_prefixes) for q in self._entropy_resolve(chain)):
                return True
            parts = chain.split(".")
            for i in range(1, len(parts) + 1):
                if self._holds(".".join(parts[:i]), depth):
                    return True
        return False

    def _entropy_resolve(self, chain: str) -> set[str]:
        head, dot, rest = chain.partition(".")
        self.aliases  # noqa: B018 - reads the imports, entropy modules included
        out = {f"{t}{dot}{rest}" for t in self._entropy_aliases.get(head, ())}
        out.add(f"{CONVENTIONAL_MODULES.get(head, head)}{dot}{rest}")
        return out

    def _holds(self, name: str, depth: int) -> bool:
        """`name` is assigned somewhere from a value that may change per run.

        Within one question a name being judged counts as holding nothing (`x = x + 1`);
        answers reached that way are kept only until the question is answered.
        """
        known = self._holds_memo.get(name)
        if known is not None:
            return known
        if depth == 0:
            self._judging = {}
        judging = self._judging
        if name in judging:
            return judging[name]
        judging[name] = False
        answer = depth > _MAX_DEPTH
        text = self.text
        if not answer:
            for start, end in followed_by(text, name, r"[ \t]*=(?!=)"):
                if start and (text[start - 1].isalnum() or text[start - 1] in "_."):
                    continue
                line = text[text.rfind("\n", 0, start) + 1 : start]
                if not _ASSIGN_PREFIX.fullmatch(line):
                    continue
                value = _statement_rest(text, end)
                if value is None or self._may_vary(value, depth + 1):
                    answer = True
                    break
        judging[name] = answer
        if answer or depth == 0:
            self._holds_memo[name] = answer
        return answer

    # -- where a call sits ---------------------------------------------------------

    def _in_training_code(self, pos: int) -> bool:
        """The call sits in a function that reads `training` (dropout-like code)."""
        text = self.text
        func = _enclosing_def(text, pos)
        if func is None:
            return False
        known = self._training.get(func)
        if known is None:
            known = self._training[func] = _function_body(text, func)
        body, end, reads = known
        # a nested def between the function and the call may be the real innermost
        # one; an odd number of triple quotes before the call, that the `def` is text
        return (
            reads
            and body <= pos < end
            and not _NESTED_DEF.search(text, body, pos)
            and not _odd_triples(text, body, pos)
        )


# A line's text before a name that the name is an assignment target on.
_ASSIGN_PREFIX = re.compile(r"(?:[^\n]*[:;])?[ \t]*(?:[\w.]+[ \t]*=[ \t]*)*")
_NAME_CONTEXT = frozenset(
    {"not", "if", "elif", "and", "or", "return", "while", "assert", "else", "in", "is"}
)
_DEF = ("def ", "def\t", "async ")
_SIGNATURE_END = re.compile(r"\s*(?:->[^:\n]*)?:")
_NESTED_DEF = re.compile(r"\n[ \t]*(?:async[ \t]+)?def[ \t]")
_TRAINING = re.compile(r"training\b")
_LAST_WORD = re.compile(r"\w+\Z")


def _word_at(text: str, pos: int) -> bool:
    return pos < len(text) and (text[pos].isalnum() or text[pos] == "_")


def _word_before(text: str, pos: int) -> bool:
    return pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "_.")


def _import_items(body: str) -> list[str]:
    """`(a as b,\n c)` -> ["a as b", "c"] (comments dropped)."""
    body = re.sub(r"#[^\n]*|\\\r?\n", " ", body).strip().strip("()")
    return [i.strip() for i in body.split(",") if i.strip()]


def _family(q: str, kind: str) -> str:
    if kind in (INSTANCE, ALWAYS):
        return _ANYWAY
    if kind in (GENERATOR, LOADER):
        return "torch"
    if kind == TF_OP:
        return "tensorflow"
    return q.partition(".")[0]  # random, numpy, jax


def _alias_value(text: str, start: int, end: int) -> bool:
    """`name = <chain>` ending its statement: a module-level alias of a callee."""
    before = text[text.rfind("\n", 0, start) + 1 : start].rstrip(" \t")
    if not before.endswith("=") or before[-2:-1] in _OPERATOR_CHARS:
        return False
    rest = _STATEMENT_END.match(text, end)
    return rest is not None and _TARGETS.fullmatch(before[:-1]) is not None


def _open_quote(line: str) -> str | None:
    """The quote left open at the end of `line` ('#' for a comment), if any."""
    quote: str | None = None
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quote is None:
            if ch == "#":
                return "#"
            if ch in "'\"":
                quote = line[i : i + 3] if line[i : i + 3] in ("'''", '"""') else ch
                i += len(quote)
                continue
        elif ch == "\\":
            i += 2
            continue
        elif line.startswith(quote, i):
            i += len(quote)
            quote = None
            continue
        i += 1
    return quote


def _call_args(text: str, open_pos: int, limit: int = 6000) -> str | None:
    """The text between `(` at `open_pos` and its `)`; None if unreadable."""
    depth = 0
    i, n = open_pos, min(len(text), open_pos + limit)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return text[open_pos + 1 : i]
        elif ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n" and len(quote) == 1:
                    return None
                i += 1
            i += len(quote)
            continue
        elif ch == "#":
            nl = text.find("\n", i, n)
            if nl < 0:
                return None
            i = nl
        i += 1
    return None


def _statement_rest(text: str, pos: int, limit: int = 4000) -> str | None:
    """The text from `pos` to the end of its statement (brackets and strings followed
    across lines); None if unreadable."""
    depth = 0
    i, n = pos, min(len(text), pos + limit)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ("'''", '"""') else ch
            close = text.find(quote, i + len(quote), n)
            while close > 0 and text[close - 1] == "\\" and len(quote) == 1:
                close = text.find(quote, close + 1, n)
            if close < 0:
                return None
            i = close + len(quote)
            continue
        elif ch == "\\":
            i += 2
            continue
        elif ch in "\n;#" and depth <= 0:
            return text[pos:i]
        elif ch == "#":  # a comment inside brackets
            i = text.find("\n", i, n)
            if i < 0:
                return None
            continue
        i += 1
    return text[pos:i] if i == len(text) else None


def _balanced(expr: str) -> bool:
    """Brackets closed and no line continuation: the value ends on this line."""
    if expr.rstrip().endswith("\\"):
        return False
    depth = 0
    for ch in expr:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth == 0


def _items(args: str) -> list[str]:
    """Top-level comma-separated items of a call's arguments, comments dropped."""
    items: list[str] = []
    parts: list[str] = []  # the current item, in pieces between comments
    depth, start, quote = 0, 0, ""
    i, n = 0, len(args)
    while i < n:
        ch = args[i]
        if quote:
            if ch == "\\":
                i += 1
            elif args.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif ch in "'\"":
            quote = args[i : i + 3] if args[i : i + 3] in ("'''", '"""') else ch
            i += len(quote) - 1
        elif ch == "#":
            parts.append(args[start:i])
            nl = args.find("\n", i)
            i = start = n if nl < 0 else nl
            continue
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[start:i])
            items.append(" ".join(parts))
            parts, start = [], i + 1
        i += 1
    parts.append(args[start:])
    items.append(" ".join(parts))
    return [item for item in (" ".join(i.split()) for i in items) if item]


_KEYWORD = re.compile(r"(\w+)\s*=(?!=)\s*(.*)", re.S)


def _keyword(item: str) -> tuple[str, str]:
    m = _KEYWORD.fullmatch(item)
    return (m.group(1), m.group(2).strip()) if m else ("", item)


def _may_be_true(value: str) -> bool:
    """Whether an argument may be a true constant (`True`, `1`, `"yes"`, `(True)`)."""
    v = value.strip()
    if v.startswith(("True", "(", ".", "'", '"')) or v[:1].isdigit():
        return True
    # b"..", r"..", u"..": constants too; names, calls, `not x`, `-1`, `[...]` are not
    return bool(re.match(r"[A-Za-z]{1,2}['\"]", v))


def _lines_back(text: str, pos: int) -> Iterator[tuple[int, str]]:
    """(start, line) from the line holding `pos` backwards."""
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    while end >= 0:
        start = text.rfind("\n", 0, end) + 1
        yield start, text[start:end]
        end = start - 1


def _enclosing_def(text: str, pos: int) -> int | None:
    """Start of the innermost `def` line around `pos` by indentation (None: module level)."""
    limit: int | None = None
    for start, line in _lines_back(text, pos):
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith(("#", ")", "]", "}")):
            continue  # a closing bracket line belongs to a statement that starts above
        indent = len(line) - len(stripped)
        if limit is None and stripped.startswith("@"):
            return None  # a decorator's call belongs to the function below it
        if limit is None or indent < limit:
            limit = indent
            if stripped.startswith(_DEF) and re.match(r"(?:async[ \t]+)?def[ \t]", stripped):
                return start
            if indent == 0:
                return None
    return None


def _function_body(text: str, func: int) -> tuple[int, int, bool]:
    """(start, end) of the body of the function whose `def` starts at `func`, and
    whether the body certainly reads the name `training` or an attribute `.training`
    (in code, not strings or comments). (0, 0, False) if the signature is unreadable."""
    paren = text.find("(", func)
    args = _call_args(text, paren, limit=4000) if paren >= 0 else None
    colon = None if args is None else _SIGNATURE_END.match(text, paren + len(args) + 2)
    if colon is None:
        return 0, 0, False
    body = colon.end()
    # the body ends at the first code line indented no deeper than the `def`
    dedent = _dedent(_indent(text, func)).search(text, body)
    end = dedent.start() if dedent else len(text)
    for m in _TRAINING.finditer(text, body, end):
        i = m.start()
        if text[i - 1].isalnum() or text[i - 1] == "_":
            continue  # `is_training`
        before = text[max(body, i - 40) : i].rstrip(" \t")
        word = _LAST_WORD.search(before)
        if not (before.endswith((".", "=", "[")) or (word and word.group() in _NAME_CONTEXT)):
            continue  # a parameter, a keyword argument, prose
        line = text[text.rfind("\n", 0, i) + 1 : i]
        if _open_quote(line) is None and not _odd_triples(text, body, i):
            return body, end, True
    return body, end, False


def _indent(text: str, pos: int) -> int:
    """Indentation of the line starting at `pos`."""
    i = pos
    while i < len(text) and text[i] in " \t":
        i += 1
    return i - pos


_DEDENTS: dict[int, re.Pattern[str]] = {}


def _dedent(indent: int) -> re.Pattern[str]:
    """A newline before a code line indented `indent` or less."""
    rx = _DEDENTS.get(indent)
    if rx is None:
        rx = _DEDENTS[indent] = re.compile(rf"\n(?=[ \t]{{0,{indent}}}[^ \t\r\n#])")
    return rx


def _odd_triples(text: str, start: int, end: int) -> bool:
    return text.count('"""', start, end) % 2 == 1 or text.count("'''", start, end) % 2 == 1


# -- ML202 -----------------------------------------------------------------------------

# What an argument's text says of its value (`literal`): a constant, NOT_LITERAL (a name,
# a call, a number, no argument), or UNKNOWN (a concatenation, an expression).
UNKNOWN = object()
NOT_LITERAL = object()
_SIMPLE_STRING = re.compile(r"""[rRuU]?(?:'([^'\\\n]*)'|"([^"\\\n]*)")""")
_NAME_OR_NUMBER = re.compile(r"(?:[A-Za-z_][\w.]*(?:\(.*\))?|[-+]?\d[\w.]*)", re.S)


def literal_value(text: str | None) -> object:
    """The True, False, None or string an argument's text spells, else NOT_LITERAL or
    UNKNOWN. Numbers count as NOT_LITERAL: the checker only asks `is True`, `is False`,
    `is None` and `in (strings)`, which a number never is."""
    if text is None:
        return NOT_LITERAL
    value = text.strip()
    while value.startswith("(") and value.endswith(")") and _balanced(value[1:-1]):
        value = value[1:-1].strip()
    if value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[value]
    string = _SIMPLE_STRING.fullmatch(value)
    if string:
        return string.group(1) if string.group(1) is not None else string.group(2)
    if value not in _NOT_NAMES and _NAME_OR_NUMBER.fullmatch(value):
        return NOT_LITERAL
    return UNKNOWN


def is_literal(text: str | None, value: bool | None) -> bool:
    """`literal(arg) is value` for True, False or None, as far as the text shows it."""
    return literal_value(text) is value


def may_be_one_of(text: str | None, options: tuple[str, ...]) -> bool:
    """`literal(arg) in options` (strings), unless the text shows it cannot be."""
    value = literal_value(text)
    return value is UNKNOWN or (isinstance(value, str) and value in options)


class CallText:
    """A call's arguments as text: what `CallSite` tells the checker, read from the text."""

    def __init__(self, args: str) -> None:
        items = _items(args)
        self.star_kwargs = any(i.startswith("**") for i in items)
        self.keywords = dict(k for k in map(_keyword, items) if k[0])
        self.positional = [i for i in items if not _keyword(i)[0] and not i.startswith("**")]
        self.star_args = any(i.startswith("*") for i in self.positional)

    def kwarg(self, name: str) -> str | None:
        return self.keywords.get(name)

    def arg(self, index: int, name: str | None = None) -> str | None:
        if name is not None and name in self.keywords:
            return self.keywords[name]
        for i, item in enumerate(self.positional):
            if item.startswith("*"):
                return None  # position unknowable from here on
            if i == index:
                return item
        return None


@dataclass(frozen=True)
class StateRules:
    """The checker's tables, as the ML202 gate needs them (built next to the checker)."""

    # qualified callee -> the keywords that seed it and the position random_state takes
    # (None: not judged)
    callee: Callable[[str], tuple[tuple[str, ...], int | None] | None]
    # (qualified callee, its arguments) -> whether it may randomise
    randomises: Callable[[str, CallText], bool]
    modules: tuple[str, ...]  # heads of every judged callee: sklearn, xgboost, lightgbm


_MODULE_USE = re.compile(r"[ \t]*(?:\.|(?=[\r\n;#]|$))")
_STATE_FROM = re.compile(
    r"from[ \t]+((?:sklearn|xgboost|lightgbm)\b[\w.]*)[ \t]+import[ \t]+"
    r"(\([^)]{0,3000}\)?|(?:[^\n;#\\]|\\\r?\n){0,600})"
)
_STATE_IMPORT = re.compile(
    r"import[ \t]+((?:[\w. \t,]|\\\r?\n){0,600}\b(?:sklearn|xgboost|lightgbm)\b[\w. \t,]{0,600})"
)


class RandomStateGate:
    """`search(text)`: whether the text holds a call ML202 could report: a randomised
    scikit-learn, XGBoost or LightGBM callee, resolved through the text's imports and
    module-level aliases, called without `**kwargs`, without a seed keyword or a
    positional `random_state` that is not None, and (for the conditional ones) with the
    arguments that make it randomise. The ensemble that seeds its estimator is not read
    from the text: such calls count."""

    def __init__(self, rules: StateRules) -> None:
        self.rules = rules
        self.pattern = "ML202: randomised scikit-learn, XGBoost and LightGBM calls"

    def __repr__(self) -> str:
        return "RandomStateGate()"

    def search(self, text: str, /) -> bool:
        if not any(contains(text, m) for m in self.rules.modules):
            return False
        return _StateFile(text, self.rules).any_finding()


class _StateFile(_Text):
    def __init__(self, text: str, rules: StateRules) -> None:
        super().__init__(text)
        self.rules = rules
        # local name -> what it may be bound to, in the order found (a work list)
        self.bound: dict[str, set[str]] = {}
        self.todo: list[str] = []

    def _bind(self, name: str, target: str) -> None:
        if target.partition(".")[0] not in self.rules.modules:
            return
        targets = self.bound.setdefault(name, set())
        if target not in targets:
            targets.add(target)
            self.todo.append(name)

    def any_finding(self) -> bool:
        text = self.text
        self._bind("sklearn", "sklearn")  # a conventional name: no import needed
        if contains(text, "import"):
            for m in _STATE_FROM.finditer(text):  # from a.b import c [as d]
                source = m.group(1)
                if _word_before(text, m.start()) or in_doctest(text, m.start()):
                    continue
                for item in _import_items(m.group(2)):
                    if item == "*":
                        return True  # bare names through a star import: rare
                    if a := _AS.fullmatch(item):
                        self._bind(a.group(2) or a.group(1), f"{source}.{a.group(1)}")
            for m in import_matches(text, _STATE_IMPORT):  # import a.b [as c]
                start = m.start()
                line = text[text.rfind("\n", 0, start) + 1 : start]
                if _word_before(text, start) or _FROM_BEFORE.search(line):
                    continue
                for item in _import_items(m.group(1)):
                    if a := _AS.fullmatch(item):
                        module, alias = a.group(1), a.group(2)
                        head = module.partition(".")[0]
                        self._bind(alias or head, module if alias else head)
        done: set[tuple[str, str]] = set()
        callee = self.rules.callee
        # direct calls first: `from sklearn.ensemble import RandomForestClassifier`
        self.todo.sort(key=lambda n: any(callee(t) is not None for t in self.bound[n]))
        while self.todo:
            name = self.todo.pop()
            for target in list(self.bound[name]):
                if (name, target) not in done:
                    done.add((name, target))
                    if self._uses(name, target):
                        return True
        return False

    def _uses(self, name: str, target: str) -> bool:
        """A call of `name` (bound to `target`) or of a name under it that may be a
        finding; module-level aliases of it are bound, to be read in turn."""
        text = self.text
        callee = self.rules.callee
        is_callee = callee(target) is not None
        if not is_callee and target.rpartition(".")[2][:1].isupper():
            return False  # a class: its methods are not judged
        size = len(name)
        pos = text.find(name)
        while pos >= 0:
            at, pos = pos, text.find(name, pos + size)
            end = at + size
            if _word_before(text, at) or _word_at(text, end):
                continue  # part of another name
            # a module matters through its attributes (`ms.train_test_split`) or an alias
            if not is_callee and _MODULE_USE.match(text, end) is None:
                continue
            _, end = self._chain(at, end)
            q = target + _SPACES.sub("", text[at + size : end])
            after = _CALL_OPEN.match(text, end)
            if after is not None:
                if (
                    callee(q) is not None
                    and self._is_code(at)
                    and self._reported(q, after.end() - 1)
                ):
                    return True
            elif _alias_value(text, at, end) and self._is_code(at):
                if callee(q) is not None:
                    return True  # `RF = RandomForestClassifier`: RF(...) may be one
                line = text.rfind("\n", 0, at) + 1
                for alias in re.findall(r"\w+", text[line:at]):
                    self._bind(alias, q)  # `ms = sklearn.model_selection`
        return False

    def _reported(self, q: str, paren: int) -> bool:
        """`RandomStateChecker.on_call` could report this call (its ensemble aside)."""
        seeding = self.rules.callee(q)
        if seeding is None:
            return False
        args = _call_args(self.text, paren)
        if args is None:
            return True
        call = CallText(args)
        if call.star_kwargs or not self.rules.randomises(q, call):
            return False
        keywords, index = seeding
        if any(literal_value(call.kwarg(k)) is not None for k in keywords if k in call.keywords):
            return False  # seeded by keyword (any value but None)
        # seeded positionally (a `*args` before it counts as a seed, as in the checker)
        return not (
            index is not None
            and (call.star_args or len(call.positional) > index)
            and literal_value(call.arg(index)) is not None
        )
