from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS_CANDIDATES = [REPO.parent / "shared" / "corpora" / "zxing-blackbox", Path("/work/shared/corpora/zxing-blackbox")]


@pytest.fixture(scope="session")
def corpus() -> Path:
    for path in CORPUS_CANDIDATES:
        if path.is_dir():
            return path
    pytest.skip("the ZXing black-box corpus (shared/corpora/zxing-blackbox) is not beside the repository")
