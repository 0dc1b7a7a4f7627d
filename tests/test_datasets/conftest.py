import pytest


@pytest.fixture(autouse=True)
def image_check_cache(tmp_path, monkeypatch):
    """Each test gets its own image-check cache (never the user's)."""
    cache = tmp_path / 'plb_mm_cache'
    monkeypatch.setenv('PLB_MM_CACHE_DIR', str(cache))
    return cache
