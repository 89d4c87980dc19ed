# Copyright (c) gosvc.hardening contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/run.py raises fs.inotify.max_user_instances for its own run only, and puts it back."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("bench_run_inotify", ROOT / "benchmarks" / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


def _limit(tmp_path, monkeypatch, value):
    """A stand-in for /proc/sys/fs/inotify/max_user_instances holding ``value``."""
    limit = tmp_path / "max_user_instances"
    limit.write_text(f"{value}\n")
    monkeypatch.setattr(run, "INOTIFY", limit)
    return limit


def test_a_low_limit_is_raised_for_the_run_and_put_back(tmp_path, monkeypatch):
    limit = _limit(tmp_path, monkeypatch, 128)
    state = run.raise_inotify_instances(8 * 52)
    assert state == {"before": 128, "during": 1024, "raised": True}
    assert limit.read_text() == "1024\n"
    run.restore_inotify_instances(state)
    assert limit.read_text() == "128\n"


def test_a_limit_high_enough_is_left_alone(tmp_path, monkeypatch):
    limit = _limit(tmp_path, monkeypatch, 2048)
    state = run.raise_inotify_instances(8 * 52)
    assert state == {"before": 2048, "during": 2048, "raised": False}
    run.restore_inotify_instances(state)
    assert limit.read_text() == "2048\n"


def test_a_limit_that_cannot_be_written_is_reported_not_raised(tmp_path, monkeypatch, capsys):
    _limit(tmp_path, monkeypatch, 128)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # As /proc/sys refuses a user without root (a file mode would not stop root, who runs the tests here).
    monkeypatch.setattr(Path, "write_text", refuse)
    state = run.raise_inotify_instances(8 * 52)
    assert state == {"before": 128, "during": 128, "raised": False}
    assert "fs.inotify.max_user_instances is 128, and 416 are needed (Permission denied)" in capsys.readouterr().out
