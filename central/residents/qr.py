"""The visitor's pass as a QR code, drawn at central (no internet, no script in the page)."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M


def pass_svg(token: str) -> bytes:
    """An SVG of the QR code holding `token`: level M (what the kiosk's camera reads well off a
    phone screen), a 4-module quiet zone, black on white whatever the phone's colour scheme."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=10,
                       image_factory=qrcode.image.svg.SvgPathFillImage)
    qr.add_data(token)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out)
    return out.getvalue()
