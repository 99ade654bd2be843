"""Code 128 in the form GS k 73 wants (code-set prefixes {A {B {C) and back to bars for drawing.

The bar patterns come from python-barcode's table; the printer computes the check digit itself,
so the renderer does the same.
"""
from __future__ import annotations

from barcode.charsets import code128 as table


class Code128Error(ValueError):
    """Text or printer data that cannot be Code 128; str() says why."""
    pass


def printer_data(text: str) -> bytes:
    """Data for GS k 73: all-digit text of even length as set C (two digits per byte), else set B."""
    text = "".join(c for c in text if 32 <= ord(c) < 127)
    if not text:
        raise Code128Error("nothing printable to encode as Code 128")
    if text.isdigit() and len(text) % 2 == 0 and len(text) >= 4:
        return b"{C" + bytes(int(text[i:i + 2]) for i in range(0, len(text), 2))
    return b"{B" + text.replace("{", "{{").encode("ascii")


def values(data: bytes) -> tuple[list[int], str]:
    """Symbol values (start ... check, without stop) and the human-readable text of GS k 73 data."""
    if len(data) < 2 or data[0] != 0x7B or chr(data[1]) not in "ABC":
        raise Code128Error("Code 128 data must start with {A, {B or {C")
    cset = chr(data[1])
    out = [table.START_CODES[cset]]
    hri = []
    i = 2
    shift = False  # {S: the next character is in the other of sets A and B
    while i < len(data):
        b = data[i]
        if b == 0x7B:
            if i + 1 >= len(data):
                raise Code128Error("Code 128 data ends inside a '{' escape")
            nxt = chr(data[i + 1])
            i += 2
            if nxt in "ABC":
                if nxt != cset:  # switch: to C = 99, to B = 100, to A = 101 from any other set
                    out.append({"C": 99, "B": 100, "A": 101}[nxt])
                cset = nxt
            elif nxt == "S":
                if cset == "C":
                    raise Code128Error("{S (shift) is not allowed in code set C")
                out.append(98)
                shift = True
            elif nxt == "1":
                out.append(102)
            elif nxt == "2":
                out.append(97)
            elif nxt == "3":
                out.append(96)
            elif nxt == "4":
                out.append(100 if cset == "B" else 101)
            elif nxt == "{":
                out.append(0x7B - 32)
                hri.append("{")
            else:
                raise Code128Error(f"unknown Code 128 escape '{{{nxt}'")
            continue
        use = {"A": "B", "B": "A"}[cset] if shift else cset
        shift = False
        if use == "C":
            if b > 99:
                raise Code128Error(f"code set C value {b} is above 99")
            out.append(b)
            hri.append(f"{b:02d}")
        elif use == "B":
            if not 32 <= b < 128:
                raise Code128Error(f"byte 0x{b:02x} is not in code set B")
            out.append(b - 32)
            hri.append(chr(b))
        else:
            if b < 32:
                out.append(b + 64)
            elif b < 96:
                out.append(b - 32)
            else:
                raise Code128Error(f"byte 0x{b:02x} is not in code set A")
            hri.append(chr(b) if b >= 32 else " ")
        i += 1
    check = (out[0] + sum(v * (k + 1) for k, v in enumerate(out[1:]))) % 103
    return out + [check], "".join(hri)


def modules(data: bytes) -> tuple[str, str]:
    """The bar/space string ('1' = bar) including quiet-zone-free stop, and the HRI text."""
    vals, hri = values(data)
    # python-barcode keeps the stop pattern without its final 2-module bar.
    return "".join(table.CODES[v] for v in vals) + table.STOP + "11", hri
