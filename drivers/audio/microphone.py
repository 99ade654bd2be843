"""The desk headset microphone through PortAudio (PyAudio), for push-to-talk dictation.

A microphone is a Device (drivers/device.py) opened by URL through the MICROPHONES registry:
    portaudio:default          the system default input
    portaudio:pulse            a named PortAudio input (substring of the device name, e.g. the
                               ALSA `pulse` device, or "USB Headset")
    portaudio:3                a PortAudio device index

    mic = open_microphone("portaudio:pulse", rate=16000, on_chunk=writer.write)  # capturing
    mic.close()                                                                   # key released

One open() ... close() is one capture session. Capture is mono s16le at the requested rate;
chunks go to `on_chunk` from a reader thread, so the caller can stream them on (to a
recogniser, to a file) while the button is held. States: "closed", "capturing", "lost" (the
sound card stopped delivering audio; the reason says why).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..device import Device, DeviceError, DeviceKind, DeviceURL

log = logging.getLogger(__name__)

ChunkHandler = Callable[[bytes], None]


class MicrophoneError(DeviceError):
    """The microphone could not be opened or stopped delivering audio."""


@contextmanager
def _quiet_stderr() -> Iterator[None]:
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


def _pyaudio() -> tuple[Any, Any]:
    try:
        import pyaudio
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise MicrophoneError(f"PyAudio is not installed ({err}); pip install pyaudio") from None
    with _quiet_stderr():
        return pyaudio, pyaudio.PyAudio()


def list_inputs() -> list[dict[str, Any]]:
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


def _find_device(pa: Any, spec: str) -> int | None:
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


def _discard(data: bytes) -> None:
    """The chunk handler of a microphone opened only to check its URL."""


class Microphone(Device):
    """One capture session per open() ... close()."""

    kind = "microphone"

    def __init__(self, *, url: str, device: str, rate: int = 16000, chunk_ms: int = 100,
                 on_chunk: ChunkHandler | None = None) -> None:
        super().__init__(url=url)
        self.spec, self.rate = device, rate
        self.on_chunk = on_chunk or _discard
        self.frames = max(1, rate * chunk_ms // 1000)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _connect(self) -> None:
        pyaudio, pa = _pyaudio()
        try:
            index = _find_device(pa, self.spec)
            with _quiet_stderr():
                stream = pa.open(format=pyaudio.paInt16, channels=1, rate=self.rate, input=True,
                                 input_device_index=index, frames_per_buffer=self.frames)
        except MicrophoneError as err:
            pa.terminate()
            self._set_state("missing", str(err))
            raise
        except Exception as err:
            pa.terminate()
            self._set_state("missing", str(err))
            raise MicrophoneError(f"cannot open microphone {self.url} at {self.rate} Hz: {err}") from None
        self._stop.clear()
        self._set_state("capturing", self.url)
        self._thread = threading.Thread(target=self._run, args=(pa, stream), name="microphone", daemon=True)
        self._thread.start()

    def _run(self, pa: Any, stream: Any) -> None:
        try:
            while not self._stop.is_set():
                self.on_chunk(stream.read(self.frames, exception_on_overflow=False))
        except Exception as err:
            self._set_state("lost", f"microphone {self.url} stopped: {err}")
            log.warning("%s", self.state.reason)
        finally:
            try:
                stream.stop_stream()
                stream.close()
            finally:
                pa.terminate()

    def _disconnect(self) -> None:
        """Stop capturing; returns after the last chunk was delivered."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None


MICROPHONES: DeviceKind[Microphone] = DeviceKind("microphone")


def _portaudio(u: DeviceURL, *, rate: int = 16000, chunk_ms: int = 100,
               on_chunk: ChunkHandler | None = None) -> Microphone:
    return Microphone(url=u.text, device=u.target, rate=rate, chunk_ms=chunk_ms, on_chunk=on_chunk)


MICROPHONES.register("portaudio", _portaudio, example="portaudio:default, portaudio:USB Headset or portaudio:3")

open_microphone = MICROPHONES.open
