"""Read rates on a folder tree of images with expected text (the ZXing black-box layout).

Each `N.png|jpg` is paired with `N.txt` holding the expected payload as UTF-8; folders whose
name starts with "falsepositives" hold images with no barcode, where any symbol is a false
positive. Used by bench/scan.py and the tests, so the numbers in both come from one place.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .symbol import Symbol

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


@dataclass(frozen=True)
class Sample:
    """One corpus image and the text it should read as (None: it must read as nothing)."""

    path: Path
    expected: str | None  # None: an image that must give nothing

    @property
    def group(self) -> str:
        """The name of the folder the image is in."""
        return self.path.parent.name


def load_samples(root: str | Path) -> list[Sample]:
    """Every image under `root` that has an expected text (N.txt) or is in a "falsepositives*"
    folder, in path order."""
    root = Path(root)
    out = []
    for img in sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        if img.parent.name.startswith("falsepositives"):
            out.append(Sample(img, None))
            continue
        txt = img.with_suffix(".txt")
        if txt.exists():
            out.append(Sample(img, txt.read_text(encoding="utf-8")))
    return out


def read_gray(path: str | Path) -> np.ndarray:
    """The image at `path` as 8-bit grey (non-ASCII paths work); ValueError if OpenCV cannot read it."""
    # imdecode from bytes: cv2.imread cannot open paths with non-ASCII names on every platform.
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return img


def same_text(decoded: str, expected: str) -> bool:
    """True if `decoded` equals `expected` up to CR LF versus LF line ends."""
    # The corpus' .txt files were stored with LF line ends while many symbols hold CR LF; a line
    # end is the only difference allowed.
    return decoded.replace("\r\n", "\n") == expected.replace("\r\n", "\n")


@dataclass
class Score:
    """Results over a corpus: reads out of the images with an expected text, false positives on the
    images without one, per-image decode times (ms) and the paths missed."""

    read: int = 0
    total: int = 0
    false_positives: int = 0
    negatives: int = 0
    ms: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def read_pct(self) -> float:
        """Percentage of images with an expected text that were read; 0.0 when there are none."""
        return 100.0 * self.read / self.total if self.total else 0.0


def evaluate(decode: Callable[[np.ndarray], list[Symbol]], samples: list[Sample],
             images: dict[Path, np.ndarray] | None = None) -> Score:
    """Run `decode` on each sample (from `images` if given, else read from disk) and score it."""
    score = Score()
    for s in samples:
        gray = images[s.path] if images is not None else read_gray(s.path)
        t0 = time.perf_counter()
        found = decode(gray)
        score.ms.append((time.perf_counter() - t0) * 1000)
        if s.expected is None:
            score.negatives += 1
            score.false_positives += len(found)
            continue
        score.total += 1
        if any(same_text(sym.text, s.expected) for sym in found):
            score.read += 1
        else:
            score.missed.append(str(s.path))
    return score
