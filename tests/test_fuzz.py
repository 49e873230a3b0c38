"""Fuzz (issue #14): corrupt a dataset's files at random, seeded, and run every reading verb on the
result. Each verb must succeed or exit nonzero with one line on stderr — never a traceback, never
an escaping exception, never a hang (each call runs under an alarm). Bounded in time: it stops
starting new cases after FUZZ_SECONDS (the fast suite); the slow suite runs four times as long on
other seeds."""

import json
import os
import shutil
import signal
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from demoforge.train.cli import main

FUZZ_SECONDS = float(os.environ.get("DEMOFORGE_FUZZ_SECONDS", 10))  # longer runs: raise both
CASES = int(os.environ.get("DEMOFORGE_FUZZ_CASES", 60))
VERB_ALARM_S = 30


@pytest.fixture(scope="module")
def dataset(demo_dataset):
    # each case corrupts its own copy (shutil.copytree below); the shared one stays as collected
    return demo_dataset("Lift", 2, profile="nominal", human_like=False, cameras=("front",), image_size=(16, 16))


def _json_mutation(rng, value):
    """Replace one randomly chosen value somewhere in a JSON document with a value of another type."""
    odd = [None, -1, 0, "x", [], {}, 1e308, True, [-1], {"dtype": 3}, "../../etc/passwd", "/etc/passwd"]
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = list(value)[rng.integers(len(value))]
        value[key] = _json_mutation(rng, value[key])
        return value
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = int(rng.integers(len(value)))
        value[i] = _json_mutation(rng, value[i])
        return value
    return odd[rng.integers(len(odd))]


def _parquet_mutation(rng, path):
    table = pq.read_table(path)
    name = table.column_names[rng.integers(table.num_columns)]
    n = table.num_rows
    choices = [
        pa.array(["garbage"] * n),
        pa.array([-1] * n, pa.int64()),
        pa.array([None] * n, pa.int64()),
        pa.array([np.nan] * n, pa.float64()),
        pa.array([10**12] * n, pa.int64()),
    ]
    table = table.set_column(table.column_names.index(name), name, choices[rng.integers(len(choices))])
    pq.write_table(table, path)
    return f"column {name}"


def _pack_stats_mutation(rng, root):
    """A value of a pack's merged stats (the meta file's footer JSON) replaced, or the footer's
    JSON made from the stats with one stat's list cut or the count zeroed."""
    path = sorted((root / "meta" / "episodes").rglob("*.parquet"))[0]
    table = pq.read_table(path)
    pack = json.loads(table.schema.metadata[b"demoforge/pack"])
    feature = sorted(pack["stats"])[rng.integers(len(pack["stats"]))]
    how = rng.choice(["value", "cut", "count"])
    if how == "value":
        pack["stats"][feature] = _json_mutation(rng, pack["stats"][feature])
    elif how == "cut":
        stat = sorted(pack["stats"][feature])[rng.integers(len(pack["stats"][feature]))]
        pack["stats"][feature][stat] = np.asarray(pack["stats"][feature][stat]).ravel()[:-1].tolist()
    else:
        pack["stats"][feature]["count"] = [0]
    pq.write_table(table.replace_schema_metadata({b"demoforge/pack": json.dumps(pack)}), path)
    return f"pack stats of {feature}: {how}"


def _video_resolution_mutation(rng, root):
    """An mp4 re-encoded at another (even) size than info.json declares."""
    from demoforge.augment.data.video import decode_video, encode_video

    path = sorted(root.rglob("*.mp4"))[0]
    frames = decode_video(path)
    side = int(rng.choice([8, 32, 64, 256]))
    encode_video(path, np.zeros((len(frames), side, side, 3), np.uint8), fps=20)
    return f"{path.name}: {side}x{side} frames"


def _template_mutation(rng, root):
    """info.json's data_path or video_path given a format spec, a field or a character it must not hold."""
    key = rng.choice(["data_path", "video_path"])
    odd = ["{chunk_index:>100000000}", "{chunk_index:,}", "{0}", "{foo}", "{}", "{chunk_index!r}", "\0", "{{", "}"]
    info = json.loads((root / "meta" / "info.json").read_text())
    template = info[key]
    at = int(rng.integers(len(template) + 1))
    info[key] = template[:at] + odd[rng.integers(len(odd))] + template[at:]
    (root / "meta" / "info.json").write_text(json.dumps(info))
    return f"{key} = {info[key]!r}"


STRUCTURED = {"pack stats": _pack_stats_mutation, "video": _video_resolution_mutation, "template": _template_mutation}


def corrupt(rng, root):
    if rng.random() < 0.3:  # the issue-42 mutations: declared sizes and shapes that lie
        name = sorted(STRUCTURED)[rng.integers(len(STRUCTURED))]
        return STRUCTURED[name](rng, root)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    path = files[rng.integers(len(files))]
    rel = path.relative_to(root).as_posix()
    data = path.read_bytes()
    kind = rng.choice(["truncate", "flip", "random", "delete", "structure", "structure"])
    if kind == "structure" and path.suffix == ".json":
        try:
            path.write_text(json.dumps(_json_mutation(rng, json.loads(data))))
            return f"{rel}: json value"
        except ValueError:
            pass
    if kind == "structure" and path.suffix == ".parquet":
        return f"{rel}: {_parquet_mutation(rng, path)}"
    if kind == "truncate" or kind == "structure":
        path.write_bytes(data[: int(rng.integers(len(data) + 1))])
    elif kind == "flip":
        buf = bytearray(data)
        for i in rng.integers(0, max(len(buf), 1), size=min(8, len(buf))):
            buf[i] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(buf))
    elif kind == "random":
        path.write_bytes(rng.bytes(int(rng.integers(1, 2000))))
    else:
        path.unlink()
    return f"{rel}: {kind}"


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang


@pytest.mark.parametrize(
    ("first_seed", "seconds"),
    [
        pytest.param(0, FUZZ_SECONDS, id="fast"),
        pytest.param(10_000, 4 * FUZZ_SECONDS, marks=pytest.mark.slow, id="long"),
    ],
)
def test_random_corruption_never_escapes_as_a_traceback_or_hangs(dataset, tmp_path, capsys, first_seed, seconds):
    previous = signal.signal(signal.SIGALRM, _alarm)
    start, outcomes = time.monotonic(), {"ok": 0, "refused": 0}
    try:
        for seed in range(first_seed, first_seed + CASES * (4 if first_seed else 1)):
            if (
                time.monotonic() - start > seconds and sum(outcomes.values()) >= 30
            ):  # 30: enough cases on a slow machine
                break
            rng = np.random.default_rng(seed)
            case = tmp_path / f"case{seed}"
            src = case / "ds"
            shutil.copytree(dataset, src)
            what = corrupt(rng, src)
            verbs = [
                ["info", src],
                ["export", src, "--format", "lerobot", "--out", case / "le"],
                ["export", src, "--format", "robomimic", "--out", case / "x.hdf5"],
                ["export", src, "--format", "gr00t", "--out", case / "gr"],
                ["import", src, "--out", case / "imp"],
                ["train", "--real", src, "--steps", "1", "--batch-size", "8", "--out", case / "run"],
            ]
            for argv in verbs:
                capsys.readouterr()
                signal.alarm(VERB_ALARM_S)
                try:
                    rc = main([str(a) for a in argv])
                except Hang:
                    pytest.fail(f"seed {seed} ({what}): {argv[0]} hung")
                except BaseException as exc:  # noqa: BLE001 — anything escaping main is the bug
                    pytest.fail(f"seed {seed} ({what}): {argv[0]} raised {type(exc).__name__}: {exc}")
                finally:
                    signal.alarm(0)
                out, err = capsys.readouterr()
                if rc == 0:
                    outcomes["ok"] += 1
                    continue
                outcomes["refused"] += 1
                lines = err.strip().splitlines()
                assert len(lines) == 1 and "Traceback" not in err, f"seed {seed} ({what}): {argv[0]}: {err!r}"
                assert "unexpected" not in lines[0], f"seed {seed} ({what}): {argv[0]}: {lines[0]}"
            shutil.rmtree(case)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert outcomes["refused"] > 0 and sum(outcomes.values()) >= 30, outcomes


@pytest.fixture(scope="module")
def checkpoint_run(dataset, tmp_path_factory):
    run = tmp_path_factory.mktemp("fuzz_ckpt") / "run"
    assert main(["train", "--real", str(dataset), "--steps", "1", "--batch-size", "8", "--out", str(run)]) == 0
    return run


CHECKPOINT_CASES = int(os.environ.get("DEMOFORGE_FUZZ_CHECKPOINTS", 12))


def test_random_checkpoint_configs_never_escape_or_build_what_the_file_lacks(checkpoint_run, tmp_path, capsys):
    """A checkpoint's metadata (policy_config above all) mutated at random, seeded: `eval` runs the
    policy or refuses in one line, never an escaping exception or a model the weights do not fill."""
    from safetensors.torch import load_file, safe_open, save_file

    previous = signal.signal(signal.SIGALRM, _alarm)
    outcomes = {"ok": 0, "refused": 0}
    try:
        for seed in range(CHECKPOINT_CASES):
            rng = np.random.default_rng(seed)
            run = tmp_path / f"case{seed}"
            shutil.copytree(checkpoint_run, run)
            ckpt = run / "checkpoints" / "last.safetensors"
            with safe_open(ckpt, framework="pt") as f:
                meta = json.loads(f.metadata()["demoforge"])
            part = "policy_config" if rng.random() < 0.7 else None
            if part:
                meta[part] = _json_mutation(rng, meta[part])
            else:
                meta = _json_mutation(rng, meta)
            save_file(load_file(ckpt), ckpt, metadata={"demoforge": json.dumps(meta)})
            capsys.readouterr()
            signal.alarm(VERB_ALARM_S)
            try:
                rc = main(["eval", str(run), "--episodes", "1", "--workers", "1", "--videos", "0"])
            except Hang:
                pytest.fail(f"seed {seed}: eval hung")
            except BaseException as exc:  # noqa: BLE001 — anything escaping main is the bug
                pytest.fail(f"seed {seed}: eval raised {type(exc).__name__}: {exc}")
            finally:
                signal.alarm(0)
            err = capsys.readouterr().err
            outcomes["ok" if rc == 0 else "refused"] += 1
            if rc != 0:
                lines = err.strip().splitlines()
                assert len(lines) == 1 and "unexpected" not in lines[0], f"seed {seed}: {err!r}"
            shutil.rmtree(run)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert outcomes["refused"] > 0, outcomes
