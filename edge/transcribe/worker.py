"""The recogniser process: loads each Vosk model once and transcribes streams fed to it.

Vosk (Kaldi) runs in its own process so that a crash, an abort inside Kaldi or a model that
eats the memory takes down only this process; the agent notices, logs the recordings as not
yet transcribed and starts a new one. Messages on the pipe (tuples, pickled by multiprocessing):

    agent -> worker   ("open", sid, language, rate) ("audio", sid, s16le) ("end", sid)
                      ("cancel", sid) ("stop",)
    worker -> agent   ("ready", {language: model name}, {language: error})
                      ("result", sid, {"text", "confidence", "words"}) ("error", sid, kind, detail)
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def model_name(path: str | Path) -> str:
    """A model's name: its manifest's, else its folder's (the parent's for a folder called 'model')."""
    p = Path(path)
    manifest = p / "frontdesk-model.json"
    try:
        return json.loads(manifest.read_text())["name"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return p.parent.name if p.name == "model" else p.name


class _Stream:
    """One recognition stream. Audio is fed to Kaldi in fixed blocks whatever the sender's chunk
    sizes, because Vosk checks for the end of an utterance after every call: the same audio
    must give the same transcript however it arrived. Each finished utterance's words are kept
    (FinalResult alone returns only the last one)."""

    def __init__(self, rec, rate: float) -> None:
        self.rec = rec
        self.block = max(2, int(rate * BLOCK_S) * 2)
        self.buf = bytearray()
        self.parts: list[dict] = []

    def accept(self, data: bytes) -> None:
        self.buf += data
        while len(self.buf) >= self.block:
            self._feed(bytes(self.buf[: self.block]))
            del self.buf[: self.block]

    def _feed(self, data: bytes) -> None:
        if self.rec.AcceptWaveform(data):
            self.parts.append(json.loads(self.rec.Result()))

    def final(self) -> dict:
        if self.buf:
            self._feed(bytes(self.buf))
            self.buf.clear()
        self.parts.append(json.loads(self.rec.FinalResult()))
        return summarise(self.parts)


BLOCK_S = 0.2


def summarise(parts: list[dict]) -> dict:
    """One result from a stream's Vosk results: the joined text, the mean word confidence (0..1; 0
    without words) and at most 500 [word, confidence] pairs."""
    words = [w for p in parts for w in (p.get("result") or [])]
    text = " ".join(t for t in ((p.get("text") or "").strip() for p in parts) if t)
    conf = sum(w.get("conf", 0.0) for w in words) / len(words) if words else 0.0
    return {"text": text, "confidence": round(min(max(conf, 0.0), 1.0), 4),
            "words": [[w.get("word", ""), round(w.get("conf", 0.0), 3)] for w in words][:500]}


def with_decoder_limits(path: str | Path, limits: dict[str, float], scratch: Path) -> Path:
    """The model as-is, or an overlay of it whose conf/model.conf carries our decoder limits.

    Vosk reads its search limits (max-active, beam) only from conf/model.conf. Published models
    are tuned for a desktop; a tighter budget roughly halves decoding time on a small board. The
    overlay links every other file of the model, so nothing is copied and the model is untouched.
    """
    limits = {k: v for k, v in limits.items() if v}
    src = Path(path)
    if not limits or not (src / "conf" / "model.conf").is_file():
        return src
    dest = scratch / src.name
    dest.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        if entry.name != "conf":
            (dest / entry.name).symlink_to(entry.resolve())
    (dest / "conf").mkdir()
    for entry in (src / "conf").iterdir():
        if entry.name != "model.conf":
            (dest / "conf" / entry.name).symlink_to(entry.resolve())
    lines = [line for line in (src / "conf" / "model.conf").read_text().splitlines()
             if not any(line.startswith(f"--{k}=") for k in limits)]
    lines += [f"--{k}={v}" for k, v in limits.items()]
    (dest / "conf" / "model.conf").write_text("\n".join(lines) + "\n")
    return dest


def main(conn, models: dict[str, str], limits: dict[str, float] | None = None, nice: int = 0) -> None:
    """The worker process: load each model, send ("ready", names, errors), then serve the pipe until
    ("stop",) or the agent's end closes it."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    import vosk
    vosk.SetLogLevel(-1)
    loaded: dict[str, object] = {}
    names: dict[str, str] = {}
    errors: dict[str, str] = {}
    import tempfile

    from .models import ModelError, check_layout
    scratch = Path(tempfile.mkdtemp(prefix="frontdesk-vosk-"))
    for lang, path in models.items():
        try:
            check_layout(path)
            loaded[lang] = vosk.Model(str(with_decoder_limits(path, limits or {}, scratch / lang)))
            names[lang] = model_name(path)
        except ModelError as err:
            errors[lang] = str(err)
        except Exception as err:
            errors[lang] = f"model {path} could not be loaded: {err}"
    import shutil
    shutil.rmtree(scratch, ignore_errors=True)  # Kaldi has read the files; the overlay is not needed
    conn.send(("ready", names, errors))
    sessions: dict[str, _Stream] = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        op = msg[0]
        if op == "audio":
            stream = sessions.get(msg[1])
            if stream is not None:
                stream.accept(msg[2])
        elif op == "open":
            _, sid, lang, rate = msg
            model = loaded.get(lang)
            if model is None:
                detail = errors.get(lang) or f"no model configured for language {lang!r}"
                conn.send(("error", sid, "model_unavailable", detail))
                continue
            kaldi = vosk.KaldiRecognizer(model, float(rate))
            kaldi.SetWords(True)
            sessions[sid] = _Stream(kaldi, float(rate))
        elif op == "end":
            ended = sessions.pop(msg[1], None)
            if ended is not None:
                conn.send(("result", msg[1], ended.final()))
        elif op == "cancel":
            sessions.pop(msg[1], None)
        elif op == "stop":
            return
