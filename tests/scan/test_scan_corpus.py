"""Read rates and false positives on the ZXing black-box photos (the measurement behind the chain)."""
import pytest

from frontdesk.drivers.scan import default_chain, make_decoder
from frontdesk.drivers.scan.corpus import evaluate, load_samples, read_gray


@pytest.fixture(scope="module")
def samples(corpus):
    samples = load_samples(corpus)
    assert len([s for s in samples if s.expected is not None]) >= 200
    assert len([s for s in samples if s.expected is None]) >= 40
    return samples, {s.path: read_gray(s.path) for s in samples}


@pytest.fixture(scope="module")
def scores(samples):
    items, images = samples
    out = {}
    for name in ("zxing", "zbar"):
        dec = make_decoder(name)
        out[name] = evaluate(dec.decode, items, images)
        dec.close()
    chain = default_chain()
    out["chain"] = evaluate(chain.decode, items, images)
    chain.close()
    return out


def test_chain_reads_at_least_as_much_as_the_best_single_decoder(scores):
    best = max(scores["zxing"].read_pct, scores["zbar"].read_pct)
    assert scores["chain"].read_pct >= best
    # The corpus README: decoders in wide use read 80-92 % of it.
    assert scores["chain"].read_pct >= 90.0


def test_zxing_goes_first_because_it_reads_more(scores):
    assert scores["zxing"].read_pct > scores["zbar"].read_pct
    assert default_chain().decoders[0].name == "zxing"


def test_no_false_positives(scores):
    for name, score in scores.items():
        assert score.negatives >= 40
        assert score.false_positives == 0, name


def test_shift_jis_payloads_keep_their_text(corpus):
    # qrcode-2/10 holds Shift-JIS bytes without ECI: both decoders hand over the raw bytes and the
    # shared text rule turns them into the same Japanese text.
    gray = read_gray(corpus / "qrcode-2" / "10.png")
    expected = (corpus / "qrcode-2" / "10.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    for name in ("zxing", "zbar"):
        found = make_decoder(name).decode(gray)
        assert found and found[0].text.replace("\r\n", "\n") == expected
        assert found[0].raw == found[0].text.encode("shift_jis")
