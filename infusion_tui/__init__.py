"""infusion-tui: a keyboard-first terminal client for Keap (formerly Infusionsoft)."""

import sys as _sys

# httpx imports its own command-line client (click, pygments: ~40-60 ms) unless that import
# fails, in which case it quietly goes without it. We never use httpx's CLI, and start-up time
# matters, so make it fail. Only this process is affected, and only httpx's `main`.
_sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

__version__ = "0.1.0"
