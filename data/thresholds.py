"""Threshold expressions of site.yaml: ``"18..27"``, ``"> 30"``, ``">= 35"``, ``"== 0"``.

A range ``A..B`` holds when A <= value <= B; either end may be left out (``"..27"``,
``"18.."``). A comparison holds when ``value OP number`` is true. Parsing is strict so a
typo in site.yaml is an error at load time, not a silent always-OK check.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE = re.compile(rf"^\s*(?P<lo>{_NUMBER})?\s*\.\.\s*(?P<hi>{_NUMBER})?\s*$")
_COMPARE = re.compile(rf"^\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<num>{_NUMBER})\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Threshold:
    """A parsed threshold; ``holds(value)`` tells whether the value satisfies it."""

    text: str
    low: float | None = None
    high: float | None = None
    op: str | None = None
    number: float | None = None

    @classmethod
    def parse(cls, text: str) -> Threshold:
        m = _RANGE.match(text)
        if m:
            lo = float(m["lo"]) if m["lo"] is not None else None
            hi = float(m["hi"]) if m["hi"] is not None else None
            if lo is None and hi is None:
                raise ValueError(f"threshold {text!r} has neither a low nor a high end")
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"threshold {text!r}: low end is above the high end")
            return cls(text=text.strip(), low=lo, high=hi)
        m = _COMPARE.match(text)
        if m:
            return cls(text=text.strip(), op=m["op"], number=float(m["num"]))
        raise ValueError(
            f"threshold {text!r} is not a range like '18..27' or a comparison like '> 30'"
        )

    def holds(self, value: float) -> bool:
        if self.op is not None and self.number is not None:
            return _OPS[self.op](value, self.number)
        if self.low is not None and value < self.low:
            return False
        return not (self.high is not None and value > self.high)

    def __str__(self) -> str:
        return self.text
