"""`frontdesk scan IMAGE...`: one JSON object per image, bytes and polygon included."""
import argparse
import json

import cv2
import numpy as np
import segno

from frontdesk.drivers.scan import cli


def run(argv, capsys):
    parser = argparse.ArgumentParser(prog="frontdesk")
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["scan", *argv])
    code = args.func(args)
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_scan_prints_one_object_per_image(tmp_path, capsys):
    text = "访客 王小明 → 3-1502"
    segno.make(text, encoding="utf-8", micro=False).save(str(tmp_path / "zh.png"), scale=5)
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((200, 200), 255, np.uint8))
    (tmp_path / "broken.png").write_bytes(b"not an image")
    code, docs = run([str(tmp_path / "zh.png"), str(tmp_path / "blank.png"), str(tmp_path / "broken.png"),
                      str(tmp_path / "missing.png")], capsys)
    assert code == 1
    names = ("zh.png", "blank.png", "broken.png", "missing.png")
    assert [d["image"] for d in docs] == [str(tmp_path / n) for n in names]
    sym = docs[0]["symbols"]
    assert len(sym) == 1 and sym[0]["format"] == "QRCode" and sym[0]["text"] == text
    assert bytes.fromhex(sym[0]["bytes_hex"]).decode("utf-8") == text
    assert len(sym[0]["polygon"]) == 4 and all(len(p) == 2 for p in sym[0]["polygon"])
    assert docs[1] == {"image": str(tmp_path / "blank.png"), "symbols": []}
    assert "error" in docs[2] and "error" in docs[3]


def test_scan_with_one_decoder(corpus, capsys):
    code, docs = run(["--decoders", "zbar", str(corpus / "qrcode-1" / "1.png")], capsys)
    assert code == 0 and docs[0]["symbols"][0]["text"].startswith("MEBKM:")
