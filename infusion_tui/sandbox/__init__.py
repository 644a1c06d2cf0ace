"""An embedded Keap (Infusionsoft) REST v1 sandbox, written from ../shared/keap/CONTRACT.md.

It never imports ``infusion_tui.keap``: a misunderstanding in the client must be caught
here, not copied. See sandbox.py for the entry point, gateway.py for auth/quota/faults.
"""

from .faults import ConnectionDropped, Fault
from .recording import RecordedRequest
from .sandbox import Sandbox

__all__ = ["ConnectionDropped", "Fault", "RecordedRequest", "Sandbox"]
