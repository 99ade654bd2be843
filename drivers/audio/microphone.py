"""The desk headset microphone through PortAudio (PyAudio), for push-to-talk dictation.

A microphone is named by a URL-style string:
    portaudio:default          the system default input
    portaudio:pulse            a named PortAudio input (substring of the device name, e.g. the
                               ALSA `pulse` device, or "USB Headset")
    portaudio:3                a PortAudio device index
Capture is mono s16le at the requested rate; chunks go to a callback from a reader thread, so
the caller can stream them on (to a recogniser, to a file) while the button is held.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager

log = logging.getLogger(__name__)


class MicrophoneError(RuntimeError):
    """The microphone could not be opened or stopped delivering audio."""


@contextmanager
def _quiet_stderr():
    # PortAudio probes every ALSA plugin on start-up and prints pages of harmless warnings to
    # fd 2; silence them during initialisation only.
    import os
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _pyaudio():
    try:
        import pyaudio
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise MicrophoneError(f"PyAudio is not installed ({err}); pip install pyaudio") from None
    with _quiet_stderr():
        return pyaudio, pyaudio.PyAudio()


def list_inputs() -> list[dict]:
    """PortAudio input devices: index, name, default rate, channels."""
    pyaudio, pa = _pyaudio()
    try:
        out = []
        for i in range(pa.get_device_count()):
            info = pa.get_device_info_by_index(i)
            if info.get("maxInputChannels", 0) > 0:
                out.append({"index": i, "name": info["name"], "rate": int(info["defaultSampleRate"]),
                            "channels": int(info["maxInputChannels"])})
        return out
    finally:
        pa.terminate()


def _find_device(pa, spec: str) -> int | None:
    if spec in ("", "default"):
        return None
    if spec.isdigit():
        return int(spec)
    exact = None
    partial = None
    for i in range(pa.get_device_count()):
        info = pa.get_device_info_by_index(i)
        if info.get("maxInputChannels", 0) <= 0:
            continue
        if info["name"] == spec:
            exact = i
            break
        if partial is None and spec.lower() in info["name"].lower():
            partial = i
    found = exact if exact is not None else partial
    if found is None:
        names = [pa.get_device_info_by_index(i)["name"] for i in range(pa.get_device_count())
                 if pa.get_device_info_by_index(i).get("maxInputChannels", 0) > 0]
        raise MicrophoneError(f"no input device named {spec!r} (inputs: {', '.join(names) or 'none'})")
    return found


class Microphone:
    """One capture session at a time: start(on_chunk) ... stop()."""

    def __init__(self, url: str = "portaudio:default", *, rate: int = 16000, chunk_ms: int = 100) -> None:
        scheme, _, spec = url.partition(":")
        if scheme != "portaudio":
            raise MicrophoneError(f"unknown microphone URL {url!r} (use portaudio:NAME or portaudio:INDEX)")
        self.url, self.spec, self.rate = url, spec, rate
        self.frames = max(1, rate * chunk_ms // 1000)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.error: str | None = None

    def start(self, on_chunk: Callable[[bytes], None]) -> None:
        if self._thread and self._thread.is_alive():
            raise MicrophoneError("microphone is already capturing")
        pyaudio, pa = _pyaudio()
        try:
            index = _find_device(pa, self.spec)
            with _quiet_stderr():
                stream = pa.open(format=pyaudio.paInt16, channels=1, rate=self.rate, input=True,
                                 input_device_index=index, frames_per_buffer=self.frames)
        except MicrophoneError:
            pa.terminate()
            raise
        except Exception as err:
            pa.terminate()
            raise MicrophoneError(f"cannot open microphone {self.url} at {self.rate} Hz: {err}") from None
        self._stop.clear()
        self.error = None
        self._thread = threading.Thread(target=self._run, args=(pa, stream, on_chunk),
                                        name="microphone", daemon=True)
        self._thread.start()

    def _run(self, pa, stream, on_chunk) -> None:
        try:
            while not self._stop.is_set():
                data = stream.read(self.frames, exception_on_overflow=False)
                on_chunk(data)
        except Exception as err:
            self.error = f"microphone {self.url} stopped: {err}"
            log.warning(self.error)
        finally:
            try:
                stream.stop_stream()
                stream.close()
            finally:
                pa.terminate()

    def stop(self) -> None:
        """Stop capturing; returns after the last chunk was delivered."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
