"""`frontdesk models ...` (speech models) and `frontdesk dictate` (a note from the desk microphone)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .models import DEFAULT_MODELS_DIR, OFFICIAL, ModelError, install, installed, verify


def register(sub: argparse._SubParsersAction) -> None:
    """Add `frontdesk models` (list, verify, install) and `frontdesk dictate` to the command line."""
    p = sub.add_parser("models", help="speech-recognition models for call notes (list, verify, install)")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    ls = msub.add_parser("list", help="installed models, and the official ones for zh / en")
    ls.add_argument("--dir", type=Path, default=DEFAULT_MODELS_DIR,
                    help=f"models folder (default {DEFAULT_MODELS_DIR})")
    ls.set_defaults(func=_list)
    vf = msub.add_parser("verify", help="check a model directory's layout and checksums, and load it")
    vf.add_argument("path", type=Path)
    vf.add_argument("--no-load", action="store_true", help="check the files only")
    vf.set_defaults(func=_verify)
    ins = msub.add_parser("install", help="install from a zip, a directory, an http(s) address, or zh/en")
    ins.add_argument("source", help="ZIP file, model directory, URL, or a language code (zh, en) for the "
                                     "official small model (downloads: needs internet)")
    ins.add_argument("--dir", type=Path, default=DEFAULT_MODELS_DIR)
    ins.add_argument("--name", help="folder name under --dir (default: the archive's)")
    ins.add_argument("--language", help="language the model is for (recorded in its manifest)")
    ins.add_argument("--sha256", help="expected SHA-256 of the zip; the install stops if it differs")
    ins.add_argument("--no-load", action="store_true", help="skip the test load")
    ins.set_defaults(func=_install)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])

    d = sub.add_parser("dictate", help="record a note from the desk microphone (Enter starts and stops)")
    d.add_argument("--config", type=Path, default=Path("/etc/frontdesk/edge.toml"))
    d.add_argument("--call", help="call id to attach the note to (default: the call on the line)")
    d.add_argument("--ticket", help="ticket id to attach the note to")
    d.add_argument("--author")
    d.add_argument("--seconds", type=float, help="record this long instead of waiting for Enter")
    d.add_argument("--list-inputs", action="store_true", help="list microphones PortAudio can see")
    d.set_defaults(func=_dictate)


def _list(args) -> int:
    rows = installed(args.dir)
    if rows:
        print(f"{'name':36} {'lang':5} {'size MB':>8}  status")
        for r in rows:
            print(f"{r['name']:36} {r['language'] or '-':5} {r['size_mb']:8.1f}  {r['status']}")
    else:
        print(f"no models installed in {args.dir}")
    print("\nofficial small models (frontdesk models install zh|en on a machine with internet):")
    for lang, (name, url) in OFFICIAL.items():
        print(f"  {lang:3} {name:32} {url}")
    return 0


def _verify(args) -> int:
    try:
        v = verify(args.path, load=not args.no_load)
    except ModelError as err:
        print(f"frontdesk models verify: {err}", file=sys.stderr)
        return 1
    print(f"{v.path}: OK ({v.name})")
    if not args.no_load:
        print(f"  loads in {v.load_s:.1f} s, {v.rss_mb:.0f} MB resident")
    for n in v.notes:
        print(f"  note: {n}")
    return 0


def _install(args) -> int:
    try:
        v = install(args.source, args.dir, name=args.name, language=args.language, sha256=args.sha256,
                    load=not args.no_load)
    except ModelError as err:
        print(f"frontdesk models install: {err}", file=sys.stderr)
        return 1
    print(f"installed {v.name} at {v.path}")
    for n in v.notes:
        print(f"  note: {n}")
    print(f"use it with:  [transcribe] models = {{ <language> = \"{v.path}\" }}")
    return 0


def _dictate(args) -> int:
    from frontdesk.drivers.audio.microphone import MicrophoneError, list_inputs, open_microphone
    from frontdesk.drivers.audio.wavfile import WavWriter
    from frontdesk.edge.config import load_edge
    from frontdesk.ids import new_id

    from .jobqueue import JobQueue

    if args.list_inputs:
        for d in list_inputs():
            print(f"portaudio:{d['index']:<3} {d['name']} ({d['rate']} Hz, {d['channels']} ch)")
        return 0
    cfg = load_edge(args.config)
    tcfg = getattr(cfg, "transcribe", None)
    if tcfg is None:
        print(f"{args.config}: no [transcribe] section; dictation needs it", file=sys.stderr)
        return 2
    data_dir = cfg.edge.data_dir
    job_id = new_id()
    folder = data_dir / "dictation"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id}.wav"
    writer = WavWriter(path, rate=tcfg.dictation.rate)
    if args.seconds is None:
        input("press Enter to start talking ...")
    try:
        mic = open_microphone(tcfg.dictation.microphone, rate=tcfg.dictation.rate, on_chunk=writer.write)
    except MicrophoneError as err:
        writer.close()
        path.unlink(missing_ok=True)
        print(f"frontdesk dictate: {err}", file=sys.stderr)
        return 1
    if args.seconds is None:
        input("recording; press Enter to stop ...")
    else:
        time.sleep(args.seconds)
    mic.close()
    writer.close()
    # The running agent's transcription service picks the note up from its queue.
    q = JobQueue(data_dir / "transcribe.db")
    q.add(job_id=job_id, kind="note", path=str(path), codec="s16le", rate=tcfg.dictation.rate,
          language=tcfg.language, call_id=args.call, ticket_id=args.ticket, author=args.author)
    q.close()
    print(f"note {job_id} queued for transcription ({path})")
    return 0
