"""A virtual ESC/POS receipt printer: a TCP 9100 server with selectable states, and a renderer
that turns what it received into a PNG (and text lines) for checking slips without paper."""
from .parser import MalformedStream, StreamParser
from .render import SlipRenderer, render_stream
from .server import PrinterState, VirtualPrinter

__all__ = ["MalformedStream", "PrinterState", "SlipRenderer", "StreamParser", "VirtualPrinter", "render_stream"]
