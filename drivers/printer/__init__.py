"""ESC/POS receipt printers: one command base on python-escpos, small transport subclasses.

    from frontdesk.drivers.printer import open_printer, get_profile, compose
    printer = open_printer("tcp://127.0.0.1:9100", profile=get_profile("80mm-gb18030"))  # see transport.py
    status = printer.status()            # PrinterStatus; .answered False means "no answer"
    printer.print_job(job_bytes)         # status check, send, GS r 1 confirmation

Nothing here knows about tickets, events or the journal.
"""
from .compose import Composer
from .errors import PrinterError, PrinterGone, PrinterNoAnswer, PrinterNotReady, PrinterUnreachable
from .profiles import BUILTIN_PROFILES, PrinterProfile, get_profile
from .status import PrinterStatus
from .transport import PRINTERS, ReceiptPrinter, open_printer

__all__ = ["BUILTIN_PROFILES", "PRINTERS", "Composer", "PrinterError", "PrinterGone", "PrinterNoAnswer",
           "PrinterNotReady", "PrinterProfile", "PrinterStatus", "PrinterUnreachable", "ReceiptPrinter", "get_profile",
           "open_printer"]
