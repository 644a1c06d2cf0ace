"""The words of a table filter: how filter text becomes terms, and when one filter narrows
another (so only the current matches need scanning). No Textual import here.

A row matches when every term is a substring of its lowercase haystack.
"""

from __future__ import annotations

__all__ = ["narrows", "split_terms"]


def split_terms(text: str) -> tuple[str, ...]:
    """The distinct lowercase words of `text`, in order."""
    return tuple(dict.fromkeys(text.lower().split()))


def narrows(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    """True if every row matching `new` also matches `old` (each old word is in a new one)."""
    return all(any(o in n for n in new) for o in old)
