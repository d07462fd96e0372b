"""Model formulas over list names: ``EXH*ABA*OSCE + EXH:HRW + OSCE:HRW``.

The grammar is R's formula language restricted to what a hierarchical
log-linear model of capture histories needs:

=================  =====================================================
``A``              main effect of list A
``A:B``            the A-B interaction (only that term)
``A*B``            ``A + B + A:B``; ``A*B*C`` is every interaction of A, B, C
``(A+B+C)^2``      all terms of ``A+B+C`` and their interactions up to two lists
``.``              every list (so ``(.)^2`` or ``.^2`` is all two-list interactions)
``x + y``          the terms of both
``x - y``          the terms of x without those of y
``~``              an optional leading tilde, as in R
```my list```      backticks quote a name with spaces or operator characters
=================  =====================================================

The model is then closed downwards (a hierarchical model contains every
sub-term of each of its terms) and given every list's main effect. Removing
a term that a larger term brings back, naming an unknown list, or asking for
the interaction of all k lists (never estimable: the unobserved cell would
have a parameter of its own) is an error that says so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from ..errors import MethodError

Term = tuple[int, ...]

_TOKEN = re.compile(r"\s*(?:(`[^`]*`)|([-+*:^()~.])|(\d+)(?![\w.])|([^\s\-+*:^()~`]+))")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise MethodError(f"cannot read the model formula {text!r} at {text[pos:]!r}")
        quoted, op, number, name = m.groups()
        if quoted is not None:
            out.append(("name", quoted[1:-1]))
        elif op is not None:
            out.append(("op", op))
        elif number is not None:
            out.append(("number", number))
        else:
            out.append(("name", name))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, lists: Sequence[str]) -> None:
        self.text = text
        self.lists = list(lists)
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise MethodError(f"the model formula {self.text!r} ends too early")
        self.i += 1
        return tok

    def error(self, what: str) -> MethodError:
        return MethodError(f"in the model formula {self.text!r}: {what}")

    # formula := ['~'] expr
    def formula(self) -> tuple[set[frozenset[int]], set[frozenset[int]]]:
        if self.peek() == ("op", "~"):
            self.take()
        added, removed = self.expr()
        left = self.peek()
        if left is not None:
            raise self.error(f"unexpected {left[1]!r}")
        return added, removed

    # expr := product (('+' | '-') product)*
    def expr(self) -> tuple[set[frozenset[int]], set[frozenset[int]]]:
        added = set(self.product())
        removed: set[frozenset[int]] = set()
        while self.peek() in (("op", "+"), ("op", "-")):
            _, op = self.take()
            terms = self.product()
            if op == "+":
                added |= terms
                removed -= terms
            else:
                added -= terms
                removed |= terms
        return added, removed

    # product := power (('*' | ':') power)*
    def product(self) -> set[frozenset[int]]:
        left = self.power()
        while self.peek() in (("op", "*"), ("op", ":")):
            _, op = self.take()
            right = self.power()
            cross = {a | b for a in left for b in right}
            left = left | right | cross if op == "*" else cross
        return left

    # power := atom ['^' number]
    def power(self) -> set[frozenset[int]]:
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            kind, value = self.take()
            if kind != "number" or int(value) < 1:
                raise self.error("'^' needs a positive whole number after it")
            order = int(value)
            out = set(base)
            for r in range(2, order + 1):
                for combo in itertools.combinations(sorted(base, key=sorted), r):
                    out.add(frozenset().union(*combo))
            return out
        return base

    # atom := name | '.' | '(' expr ')'
    def atom(self) -> set[frozenset[int]]:
        kind, value = self.take()
        if kind == "name":
            if value not in self.lists:
                raise self.error(f"no list named {value!r}; the lists are {', '.join(self.lists)}")
            return {frozenset([self.lists.index(value)])}
        if (kind, value) == ("op", "."):
            return {frozenset([j]) for j in range(len(self.lists))}
        if (kind, value) == ("op", "("):
            added, removed = self.expr()
            if removed:
                raise self.error("'-' is only allowed outside parentheses")
            if self.take() != ("op", ")"):
                raise self.error("a '(' is not closed")
            return added
        raise self.error(f"unexpected {value!r}")


def parse_formula(text: str, lists: Sequence[str]) -> tuple[Term, ...]:
    """The terms of the hierarchical model a formula describes, main effects first.

    Raises
    ------
    MethodError
        On a syntax error, an unknown list, the k-way interaction, or a
        removed term that the hierarchy brings back.
    """
    if not text or not text.strip():
        raise MethodError("the model formula is empty")
    added, removed = _Parser(text, lists).formula()
    k = len(lists)
    closed: set[frozenset[int]] = {frozenset([j]) for j in range(k)}
    for term in added:
        for r in range(1, len(term) + 1):
            closed.update(frozenset(c) for c in itertools.combinations(sorted(term), r))
    back = [t for t in removed if t in closed and len(t) >= 1]
    if back:
        names = ", ".join(":".join(lists[j] for j in sorted(t)) for t in sorted(back, key=sorted))
        raise MethodError(
            f"in the model formula {text!r}: {names} cannot be removed: every list keeps its main "
            "effect, and a hierarchical model keeps every sub-term of its larger terms"
        )
    if frozenset(range(k)) in closed:
        raise MethodError(
            f"in the model formula {text!r}: the interaction of all {k} lists is never estimable "
            "(the unobserved cell would have a parameter of its own); leave it out"
        )
    return tuple(sorted((tuple(sorted(t)) for t in closed), key=lambda t: (len(t), t)))
