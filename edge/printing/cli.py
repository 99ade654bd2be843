"""`frontdesk printer ...` and `frontdesk slip ...`: check slips and printers without the agent.

    frontdesk printer render [FILE] --png OUT [--text]   ESC/POS stream (file or stdin) -> PNG
    frontdesk printer status TARGET                      ask a real or virtual printer its state
    frontdesk printer serve [--port 9100] [--out DIR]    run the virtual printer
    frontdesk slip preview KIND [--lang zh|en] --png OUT [--to TARGET]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk printer` (render, status, serve) and `frontdesk slip preview` to the command line."""
    p = sub.add_parser("printer", help="thermal printers: render streams, status, virtual printer")
    psub = p.add_subparsers(dest="printer_command", metavar="ACTION")

    r = psub.add_parser("render", help="render an ESC/POS byte stream to a PNG")
    r.add_argument("file", nargs="?", help="stream file (default: stdin)")
    r.add_argument("--png", required=True, type=Path, help="output PNG")
    r.add_argument("--text", action="store_true", help="also print the decoded text lines")
    r.add_argument("--dots", type=int, default=576, help="paper width in dots (576 = 80 mm, 384 = 58 mm)")
    r.set_defaults(func=_render)

    s = psub.add_parser("status", help="query a printer's real-time status (DLE EOT)")
    s.add_argument("target", help="printer URL: tcp://HOST:9100, serial:/dev/ttyUSB0?baud=115200, usb://VID:PID, ...")
    s.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each status byte")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_status)

    v = psub.add_parser("serve", help="run the virtual receipt printer (TCP, port 9100)")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=9100)
    v.add_argument("--dots", type=int, default=576)
    v.add_argument("--out", type=Path, help="write every cut slip as DIR/slip-NNNN.png")
    v.add_argument("--state", action="append", default=[],
                   choices=["paper_near_end", "paper_out", "cover_open", "offline", "cutter_error", "mute"],
                   help="start in this state (repeatable)")
    v.set_defaults(func=_serve)

    sl = sub.add_parser("slip", help="slip layouts")
    slsub = sl.add_subparsers(dest="slip_command", metavar="ACTION")
    pv = slsub.add_parser("preview", help="render a sample slip of a kind")
    pv.add_argument("kind", choices=["workorder", "mail", "badge", "handover"])
    pv.add_argument("--lang", choices=["zh", "en"], default="zh")
    pv.add_argument("--png", type=Path, help="output PNG")
    pv.add_argument("--profile", default="80mm-gb18030")
    pv.add_argument("--data", type=Path, help="JSON file with the slip's fields (default: the sample data)")
    pv.add_argument("--bytes", type=Path, help="also write the ESC/POS stream here")
    pv.add_argument("--to", help="also print it on this printer (URL as for `printer status`)")
    pv.set_defaults(func=_preview)


def _render(args: argparse.Namespace) -> int:
    from frontdesk.drivers.printer.virtual import MalformedStream, render_stream
    data = Path(args.file).read_bytes() if args.file else sys.stdin.buffer.read()
    try:
        r = render_stream(data, args.dots)
    except MalformedStream as err:
        print(f"frontdesk printer render: not a valid ESC/POS stream: {err}", file=sys.stderr)
        return 1
    r.image().save(args.png)
    for w in r.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.text:
        print("\n".join(r.text_lines))
    print(f"{args.png}: {len(data)} bytes, {len(r.cuts)} cut(s)", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    from frontdesk.drivers.device import DeviceError
    from frontdesk.drivers.printer import open_printer
    try:
        with open_printer(args.target, timeout=args.timeout + 2) as p:
            st = p.status(args.timeout)
    except DeviceError as err:  # a bad URL or an unreachable printer
        print(f"{args.target}: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"state": st.state, "ready": st.ready, "answered": st.answered,
                          "raw": {str(k): v for k, v in st.raw.items()}}))
    else:
        print(f"{args.target}: {st.state} ({st.describe()})")
    return 0 if st.ready else 1


def _serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from frontdesk.drivers.printer.virtual import VirtualPrinter
    vp = VirtualPrinter(args.host, args.port, dots=args.dots)
    vp.set_state(**{s: True for s in args.state})
    # Ctrl-C and a service manager's SIGTERM both stop it cleanly (slips saved, port closed),
    # whatever signal handling the process inherited (a background job starts with SIGINT ignored).
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    vp.start()
    print(f"virtual printer listening on {vp.url} ({args.dots} dots); Ctrl-C to stop", file=sys.stderr)
    saved = 0
    try:
        while not stop.wait(0.5):
            saved = _save_slips(vp, args.out, saved)
        _save_slips(vp, args.out, saved)
    finally:
        vp.stop()
    return 0


def _save_slips(vp, out: Path | None, saved: int) -> int:
    """Save the slips cut since the last call as PNG files in `out`; the count saved so far."""
    if not out:
        return saved
    slips = vp.slips()
    done = len(vp.renderer.cuts)
    for i in range(saved, done):
        out.mkdir(parents=True, exist_ok=True)
        final = out / f"slip-{i + 1:04d}.png"
        slips[i].save(final.with_suffix(".tmp"), format="PNG")
        final.with_suffix(".tmp").replace(final)  # readers never see half a file
        print(f"slip {i + 1} -> {final}", file=sys.stderr)
    return max(saved, done)


def _preview(args: argparse.Namespace) -> int:
    from frontdesk.drivers.device import DeviceError
    from frontdesk.drivers.printer import get_profile, open_printer
    from frontdesk.drivers.printer.virtual import render_stream

    from .layout import SlipError, compose_slip, samples
    try:
        profile = get_profile(args.profile)
        data = json.loads(args.data.read_text("utf-8")) if args.data else samples()[args.kind]
        body = compose_slip(args.kind, args.lang, data, profile)
    except (SlipError, ValueError, OSError) as err:
        print(f"frontdesk slip preview: {err}", file=sys.stderr)
        return 2
    if args.bytes:
        args.bytes.write_bytes(body)
    if args.png:
        render_stream(body, profile.dots).image().save(args.png)
        print(f"{args.png}: {args.kind} ({args.lang}), {len(body)} bytes for {profile.name}", file=sys.stderr)
    if args.to:
        try:
            with open_printer(args.to, profile=profile) as p:
                p.print_job(body)
        except DeviceError as err:
            print(f"{args.to}: {err}", file=sys.stderr)
            return 1
        print(f"printed on {args.to} and confirmed", file=sys.stderr)
    return 0
