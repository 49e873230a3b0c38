"""Per-episode stats: computed side by side, the stats blob round trip, blobs written before it still read, bad bytes refused."""

import io

import numpy as np
import pytest
from demoforge.augment.data import stats as stats_lib


def _episode_stats() -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(9, 8, 8, 3), dtype=np.uint8)
    return {
        "observation.state": stats_lib.vector_stats(rng.normal(size=(9, 7))),
        "action": stats_lib.vector_stats(rng.normal(size=(9, 4))),
        "observation.images.front": stats_lib.image_stats(frames),
    }


def _assert_same(a, b):
    assert list(a) == list(b)  # in order: stats read back merge into the same bytes as those written
    for key in a:
        assert list(a[key]) == list(b[key]), key
        for stat in a[key]:
            assert a[key][stat].dtype == b[key][stat].dtype, (key, stat)
            assert np.array_equal(a[key][stat], b[key][stat]), (key, stat)


def test_blob_round_trips_every_stat_exactly():
    stats = _episode_stats()
    _assert_same(stats_lib.from_blob(stats_lib.to_blob(stats)), stats)


def test_blob_is_not_an_npz_archive():
    # safetensors: 4× faster to write than np.savez, 30× faster to read (the writer's largest non-physics cost)
    assert not stats_lib.to_blob(_episode_stats()).startswith(b"PK")


def test_npz_blobs_written_before_still_read():
    stats = _episode_stats()
    buf = io.BytesIO()
    np.savez(buf, **{f"{key}/{stat}": v for key, s in stats.items() for stat, v in s.items()})
    _assert_same(stats_lib.from_blob(buf.getvalue()), stats)


@pytest.mark.parametrize("blob", [b"", b"garbage!", b"PK\x03\x04 not a zip", b"\xff" * 8 + b"{}"])
def test_bad_blobs_raise_value_error(blob):
    with pytest.raises(ValueError):
        stats_lib.from_blob(blob)


def test_columns_stats_equal_each_column_alone():
    rng = np.random.default_rng(1)
    columns = {
        "observation.state": rng.normal(size=(13, 7)).astype(np.float32),
        "next.reward": rng.normal(size=13).astype(np.float32),
        "index": np.arange(40, 53),
        "flag": rng.integers(0, 2, size=(13, 1)).astype(bool),
    }
    together = stats_lib.columns_stats(columns)
    assert list(together) == list(columns)
    for key, values in columns.items():
        alone = stats_lib.vector_stats(values.astype(np.float64))
        assert list(together[key]) == list(alone), key
        for stat, want in alone.items():
            got = together[key][stat]
            assert got.shape == want.shape and got.dtype == want.dtype, (key, stat)
            if stat in ("mean", "std"):  # summation order may differ in the last bit
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15, err_msg=f"{key} {stat}")
            else:
                np.testing.assert_array_equal(got, want, err_msg=f"{key} {stat}")
    assert stats_lib.columns_stats({}) == {}
