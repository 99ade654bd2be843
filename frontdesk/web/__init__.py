"""What the desk dashboard (central) and the kiosk screens (edge) share as web apps: the live
fan-out, Server-Sent Events, the security headers, static file serving, and the small JS toolkit
both pages load from one folder (static/toolkit.js)."""
from .fanout import Batch, Fanout, FanoutFull, Subscriber
from .headers import SECURITY_HEADERS, SecureRoute, secure
from .sse import sse_message, sse_response, sse_retry
from .static_files import TOOLKIT_DIR, static_file, static_router, toolkit_router

__all__ = ["Batch", "Fanout", "FanoutFull", "SECURITY_HEADERS", "SecureRoute", "Subscriber", "TOOLKIT_DIR", "secure",
           "sse_message", "sse_response", "sse_retry", "static_file", "static_router", "toolkit_router"]
