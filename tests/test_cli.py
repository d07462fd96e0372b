import json
import subprocess
import sys

import pytest

from undercount.cli import EXIT_BAD_INPUT, main

from conftest import TABLES, assert_sig, reference


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_estimate_json_has_the_promised_fields(capsys):
    code, out, _ = run(capsys, "estimate", str(TABLES / "HIV.csv"), "--method", "mt", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    for key in ("method", "lists", "n_observed", "n_hat", "ci_low", "ci_high", "ci_level", "warnings", "details"):
        assert key in payload
    row = reference("rcapture-mt").set_index("dataset").loc["HIV"]
    assert_sig(payload["n_hat"], float(row["n_hat"]))
    assert payload["lists"] == ["c1", "c2", "c3", "c4"]
    assert payload["n_observed"] == 1896


def test_estimate_table_format_shows_warnings(capsys):
    code, out, _ = run(
        capsys, "estimate", str(TABLES / "HIV.csv"), "--method", "chapman", "--set", "pair=largest"
    )
    assert code == 0
    assert "estimate" in out and "95% interval" in out
    assert "warnings:" in out and "other list(s) ignored" in out


def test_help_lists_methods(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["estimate", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "chapman" in out and "mt" in out and "--set pair=" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("A,B,count\n1,2,3\n", "row 2, column 'B': capture indicators must be 0 or 1"),
        ("A,B,count\n1,0,-3\n", "row 2, column 'count': counts cannot be negative"),
        ("A,B\n1,0\n", "no 'count' column"),
    ],
)
def test_malformed_table_exits_2(tmp_path, capsys, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, out, err = run(capsys, "estimate", str(path), "--method", "mt")
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert message in err and str(path) in err


def test_bad_set_and_unknown_method_exit_2(capsys):
    table = str(TABLES / "HIV.csv")
    assert run(capsys, "estimate", table, "--method", "zzz")[0] == EXIT_BAD_INPUT
    code, _, err = run(capsys, "estimate", table, "--method", "chapman", "--set", "pair")
    assert code == EXIT_BAD_INPUT and "KEY=VALUE" in err


def test_console_script_installed(tmp_path):
    exe = [sys.executable, "-m", "undercount.cli"]
    done = subprocess.run(exe + ["estimate", str(TABLES / "hare.csv"), "--method", "mt", "--format", "json"],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["n_observed"] == 68
