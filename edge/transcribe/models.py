"""Vosk model directories: checking their layout, installing them, listing what is installed.

Models are installed by hand (`frontdesk models install`), never fetched at run time: the edge
may have no internet, and residents' audio must not leave the building anyway. A model is a
directory as published by the Vosk project:

    am/final.mdl                      acoustic model
    conf/model.conf, conf/mfcc.conf   decoder and feature settings
    graph/HCLG.fst                    static graph, or graph/HCLr.fst + graph/Gr.fst (lookahead)
    graph/phones/word_boundary.int    (word-level timing; needed for per-word confidence)
    ivector/                          optional speaker adaptation (final.ie, final.dubm, ...)

An installed model gets frontdesk-model.json beside those files: name, language, source, and
the SHA-256 of every file, so `verify` can tell a model that was damaged on the SD card.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_MODELS_DIR = Path("/var/lib/frontdesk/models")
MANIFEST = "frontdesk-model.json"

# The Vosk project's own download addresses for the small models a Pi can hold in memory.
OFFICIAL = {
    "zh": ("vosk-model-small-cn-0.22", "https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip"),
    "en": ("vosk-model-small-en-us-0.15", "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"),
    "ko": ("vosk-model-small-ko-0.22", "https://alphacephei.com/vosk/models/vosk-model-small-ko-0.22.zip"),
}


class ModelError(Exception):
    """A model that cannot be used or installed; str() says what is wrong."""


def check_layout(path: str | Path) -> list[str]:
    """Raise ModelError if `path` is not a Vosk model directory; return notes about optional parts."""
    p = Path(path)
    if not p.exists():
        raise ModelError(f"model directory {p} does not exist")
    if not p.is_dir():
        raise ModelError(f"{p} is not a directory (a Vosk model is a directory; unpack the zip first "
                         "or use `frontdesk models install`)")
    missing = [f for f in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf") if not (p / f).is_file()]
    graph = p / "graph"
    if not ((graph / "HCLG.fst").is_file() or ((graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file())):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst)")
    if missing:
        if len(missing) >= 3 and not any(p.iterdir()):
            raise ModelError(f"{p} is empty, not a Vosk model")
        if len(missing) >= 3:
            raise ModelError(f"{p} is not a Vosk model (missing {', '.join(missing)})")
        raise ModelError(f"model {p} is incomplete: missing {', '.join(missing)}")
    for f in ("am/final.mdl", "conf/model.conf"):
        if (p / f).stat().st_size == 0:
            raise ModelError(f"model {p} is damaged: {f} is empty")
    notes = []
    if not (graph / "phones" / "word_boundary.int").is_file():
        notes.append("no graph/phones/word_boundary.int: transcripts will have no per-word confidence")
    if not (p / "ivector").is_dir():
        notes.append("no ivector/: no speaker adaptation (accuracy is lower)")
    return notes


def _file_hashes(root: Path) -> dict[str, str]:
    out = {}
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.name != MANIFEST:
            h = hashlib.sha256()
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[str(f.relative_to(root))] = h.hexdigest()
    return out


@dataclass
class Verified:
    """What verify() found: the model's path and name, notes on its layout and checksums, and the
    test load's time (s) and memory (MB; both 0 without a load)."""
    path: Path
    name: str
    notes: list[str]
    load_s: float
    rss_mb: float


def _load_probe(conn, path: str) -> None:
    import resource
    import time

    import vosk
    vosk.SetLogLevel(-1)
    t = time.monotonic()
    try:
        model = vosk.Model(path)
        rec = vosk.KaldiRecognizer(model, 16000.0)
        rec.AcceptWaveform(b"\0\0" * 1600)
        rec.FinalResult()
    except Exception as err:
        conn.send(("error", str(err) or type(err).__name__))
        return
    conn.send(("ok", time.monotonic() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def load_check(path: str | Path, timeout: float = 600) -> tuple[float, float]:
    """Load the model in a separate process (Kaldi may abort on a damaged file): (seconds, MB)."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_load_probe, args=(child, str(path)), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise ModelError(f"model {path} did not load within {timeout:.0f} s")
        try:
            reply = parent.recv()
        except EOFError:
            proc.join(5)
            raise ModelError(f"model {path} crashed the recogniser while loading "
                             f"(exit code {proc.exitcode}); a file is damaged or not a Vosk model") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if reply[0] == "error":
        raise ModelError(f"model {path} could not be loaded: {reply[1]}")
    return reply[1], reply[2]


def verify(path: str | Path, *, load: bool = True) -> Verified:
    """Layout, checksums (if installed with a manifest) and a real load."""
    from .worker import model_name
    p = Path(path)
    notes = check_layout(p)
    manifest = p / MANIFEST
    if manifest.is_file():
        try:
            recorded = json.loads(manifest.read_text())["files"]
        except (ValueError, KeyError, TypeError):
            raise ModelError(f"{manifest} is damaged") from None
        actual = _file_hashes(p)
        bad = sorted(f for f, h in recorded.items() if actual.get(f) != h)
        if bad:
            raise ModelError(f"model {p} is damaged: {len(bad)} file(s) differ from when it was installed "
                             f"({', '.join(bad[:5])})")
    else:
        notes.append(f"no {MANIFEST}: not installed with `frontdesk models install`, checksums not checked")
    load_s, rss = load_check(p) if load else (0.0, 0.0)
    return Verified(p, model_name(p), notes, load_s, rss)


def _find_model_root(tree: Path) -> Path:
    """The model directory inside an unpacked archive (usually its single top folder)."""
    candidates = [d for d in [tree, *tree.rglob("*")] if d.is_dir() and (d / "am" / "final.mdl").is_file()]
    if not candidates:
        raise ModelError("the archive holds no Vosk model (no am/final.mdl inside)")
    return min(candidates, key=lambda d: len(d.parts))


def _safe_extract(zf: zipfile.ZipFile, dest: Path) -> None:
    root = dest.resolve()
    for member in zf.infolist():
        target = (dest / member.filename).resolve()
        if root != target and root not in target.parents:
            raise ModelError(f"archive member {member.filename!r} would land outside the model directory")
    zf.extractall(dest)


def download(url: str, dest: Path, *, sha256: str | None = None, progress: bool = True) -> str:
    """Fetch `url` to `dest` with a progress bar; returns the SHA-256, checked if given."""
    import requests
    from tqdm import tqdm
    h = hashlib.sha256()
    try:
        with requests.get(url, stream=True, timeout=30) as r:
            r.raise_for_status()
            total = int(r.headers.get("content-length") or 0) or None
            with open(dest, "wb") as out, tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                                                desc=Path(url).name, disable=not progress) as bar:
                for block in r.iter_content(1 << 16):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
    except requests.RequestException as err:
        raise ModelError(f"download of {url} failed: {err}") from None
    digest = h.hexdigest()
    if sha256 and digest.lower() != sha256.lower():
        raise ModelError(f"download of {url} is corrupt: SHA-256 {digest}, expected {sha256}")
    return digest


def install(source: str, models_dir: Path = DEFAULT_MODELS_DIR, *, name: str | None = None,
            language: str | None = None, sha256: str | None = None, progress: bool = True,
            load: bool = True) -> Verified:
    """Install a model from a local zip, a local directory, or an http(s) address.

    The model is unpacked and verified in a scratch folder inside `models_dir`, then moved into
    place in one rename, so a half-installed model never appears under its name.
    """
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    if source in OFFICIAL:  # `install zh` means the official small model for that language
        language = language or source
        source = OFFICIAL[source][1]
    scratch = Path(tempfile.mkdtemp(prefix=".installing-", dir=models_dir))
    try:
        origin = source
        if source.startswith(("http://", "https://")):
            archive = scratch / "download.zip"
            digest = download(source, archive, sha256=sha256, progress=progress)
            src: Path = archive
        else:
            src = Path(source).expanduser()
            if not src.exists():
                raise ModelError(f"{src} does not exist")
            digest = None
            origin = str(src.resolve())
        unpacked = scratch / "tree"
        if src.is_dir():
            root = _find_model_root(src)
            shutil.copytree(root, unpacked)
            root = unpacked
        else:
            if digest is None:
                h = hashlib.sha256()
                with open(src, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                digest = h.hexdigest()
                if sha256 and digest.lower() != sha256.lower():
                    raise ModelError(f"{src} is corrupt: SHA-256 {digest}, expected {sha256}")
            try:
                with zipfile.ZipFile(src) as zf:
                    bad = zf.testzip()
                    if bad:
                        raise ModelError(f"{src} is damaged: {bad} fails its CRC check")
                    _safe_extract(zf, unpacked)
            except zipfile.BadZipFile:
                raise ModelError(f"{src} is neither a zip archive nor a model directory") from None
            root = _find_model_root(unpacked)
        check_layout(root)
        from .worker import model_name
        final_name = name or (src.stem if root == unpacked and not src.is_dir() else model_name(root))
        if final_name in ("model", "tree", "download"):
            final_name = Path(source).stem
        (root / MANIFEST).write_text(json.dumps({
            "name": final_name, "language": language, "source": origin, "archive_sha256": digest,
            "installed_at": datetime.now(UTC).isoformat(), "files": _file_hashes(root),
        }, ensure_ascii=False, indent=1))
        result = verify(root, load=load)
        target = models_dir / final_name
        if target.exists():
            raise ModelError(f"{target} already exists; remove it first to replace it")
        os.replace(root, target)
        result.path = target
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def installed(models_dir: Path = DEFAULT_MODELS_DIR) -> list[dict]:
    """The models found in models_dir, one dict each."""
    out: list[dict] = []
    if not Path(models_dir).is_dir():
        return out
    for d in sorted(Path(models_dir).iterdir()):
        if not d.is_dir() or d.name.startswith("."):
            continue
        info = {"name": d.name, "path": str(d), "language": None, "status": "ok", "size_mb": 0.0}
        try:
            info["language"] = json.loads((d / MANIFEST).read_text()).get("language")
        except (OSError, ValueError):
            pass
        try:
            check_layout(d)
        except ModelError as err:
            info["status"] = str(err)
        info["size_mb"] = round(sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) / 1e6, 1)
        out.append(info)
    return out
