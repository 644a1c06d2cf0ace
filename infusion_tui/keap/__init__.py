"""The Keap REST v1 API, and nothing about the terminal.

Names are loaded on first use (PEP 562), so `import infusion_tui.keap` costs nothing until a
client or model is actually needed: start-up time matters for a TUI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "infusion_tui.keap.client": ("KeapClient", "KEAP_BASE_URL", "MAX_PAGE_SIZE"),
    "infusion_tui.keap.budget": ("CallBudget",),
    "infusion_tui.keap.auth": ("ApiKeyAuth", "OAuthAuth"),
    "infusion_tui.keap.tokens": ("OAuthTokens", "LoginUnavailable"),
    "infusion_tui.keap.oauth": (
        "KEAP_AUTHORIZE_URL",
        "KEAP_TOKEN_URL",
        "authorize_url",
        "endpoints_for",
        "exchange_code",
        "new_state",
        "parse_redirect",
    ),
    "infusion_tui.keap.loopback": ("LoopbackReceiver",),
    "infusion_tui.keap.redact": ("redact_headers", "redact_text"),
    "infusion_tui.keap.errors": (
        "KeapError",
        "AuthError",
        "NotFound",
        "InvalidRequest",
        "RateLimited",
        "Unavailable",
        "BadResponse",
    ),
    "infusion_tui.keap.models": (
        "Task",
        "TaskDraft",
        "TaskList",
        "Order",
        "OrderList",
        "BasicContact",
        "OrderContact",
        "OrderItem",
        "ShippingInformation",
        "DecodeError",
        "decode",
        "format_keap_datetime",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'infusion_tui.keap' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # next time, no __getattr__
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from infusion_tui.keap.auth import ApiKeyAuth, OAuthAuth
    from infusion_tui.keap.budget import CallBudget
    from infusion_tui.keap.client import KEAP_BASE_URL, MAX_PAGE_SIZE, KeapClient
    from infusion_tui.keap.errors import (
        AuthError,
        BadResponse,
        InvalidRequest,
        KeapError,
        NotFound,
        RateLimited,
        Unavailable,
    )
    from infusion_tui.keap.loopback import LoopbackReceiver
    from infusion_tui.keap.models import (
        BasicContact,
        DecodeError,
        Order,
        OrderContact,
        OrderItem,
        OrderList,
        ShippingInformation,
        Task,
        TaskDraft,
        TaskList,
        decode,
        format_keap_datetime,
    )
    from infusion_tui.keap.oauth import (
        KEAP_AUTHORIZE_URL,
        KEAP_TOKEN_URL,
        authorize_url,
        endpoints_for,
        exchange_code,
        new_state,
        parse_redirect,
    )
    from infusion_tui.keap.redact import redact_headers, redact_text
    from infusion_tui.keap.tokens import LoginUnavailable, OAuthTokens
