"""What the hostile-input tests (test_hardening.py, test_reliability.py) share: the CLI run in-process
and the one-line refusal check; the small datasets they break are conftest.py's fixtures. Importable
because conftest.py puts tests/ on sys.path (pytest's importlib mode does not)."""

from demoforge.train.cli import main


def cli(capsys, *argv):
    """Run `demoforge argv` in-process: (exit code, stdout, stderr). An escaping exception fails."""
    capsys.readouterr()
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def refused(capsys, *argv, names=()):
    """Assert `demoforge argv` fails with one line on stderr that contains every string in `names`."""
    rc, out, err = cli(capsys, *argv)
    assert rc != 0, f"exit 0 for {argv}: {out[-300:]}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert "Traceback" not in err + out and "unexpected" not in err, err
    for name in names:
        assert str(name) in lines[0], f"{name!r} not in {lines[0]!r}"
    return lines[0]
