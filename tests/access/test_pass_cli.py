"""`frontdesk passes keygen | issue | check`: a key, a printed pass, and a check of its picture."""
import argparse
import json

from frontdesk.passes import cli


def run(argv, capsys):
    parser = argparse.ArgumentParser(prog="frontdesk")
    cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.func(args)
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_keygen_issue_check(tmp_path, capsys):
    key = tmp_path / "site.key"
    code, [kg] = run(["passes", "keygen", "--out", str(key)], capsys)
    assert code == 0 and kg["public_key"].startswith("ed25519:") and len(kg["key_id"]) == 8
    assert run(["passes", "keygen", "--out", str(key)], capsys)[0] == 1  # never overwrites silently
    png = tmp_path / "pass.png"
    code, [issued] = run(["passes", "issue", "--key", str(key), "--site", "sunrise", "--unit", "3-1502",
                          "--name", "王小明", "--png", str(png)], capsys)
    assert code == 0 and png.exists()
    code, [ok] = run(["passes", "check", str(png), "--public", kg["public_key"], "--site", "sunrise"], capsys)
    assert code == 0 and ok["ok"] and ok["pass_id"] == issued["pass_id"] and ok["visitor_name"] == "王小明"
    code, [bad] = run(["passes", "check", issued["token"], "--public", kg["public_key"], "--site", "moonview"], capsys)
    assert code == 1 and bad["reason"] == "wrong_site"
    code, [none] = run(["passes", "check", str(tmp_path / "missing.png"), "--public", kg["public_key"],
                        "--site", "sunrise"], capsys)
    assert code == 1 and none["reason"] == "malformed"
