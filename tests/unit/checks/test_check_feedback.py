"""What goes back to the model for a failed run, and the bounded auto-fix rounds."""

from __future__ import annotations

from pathlib import Path

from rigtui.checks.feedback import AutoFixRounds, failure_message, trimmed_output
from rigtui.checks.parsers import parse_locations
from rigtui.protocol import CheckFinished, from_dict

SAMPLES = Path(__file__).parent / "samples"


def failed_run(output: str, command: str = "pytest -x -q") -> CheckFinished:
    locations = [loc.to_dict() for loc in parse_locations(output, command)]
    return CheckFinished(
        run_id="r1", check="tests", command=command, state="failed", duration=1.25,
        exit_code=1, output=output, locations=locations,
    )  # fmt: skip


def test_message_names_the_check_the_locations_and_the_failure():
    output = "platform linux\ncollected 40 items\n" + "." * 39 + "F\n"
    output += (SAMPLES / "pytest_long.txt").read_text()
    text = failure_message(failed_run(output))
    assert "`tests` (`pytest -x -q`) failed (exit 1, 1.2s)" in text
    assert "- test_calc.py:9: test_add: assert 3 == 4" in text
    assert "E       assert 3 == 4" in text
    assert "collected 40 items" not in text and "platform linux" not in text


def test_huge_output_is_bounded_and_keeps_the_end():
    noise = "\n".join(f"log line {i} " + "x" * 80 for i in range(5000))
    output = (
        (SAMPLES / "pytest_long.txt").read_text().replace("___ test_add", noise + "\n___ test_add")
    )
    text = failure_message(failed_run(output), max_chars=3000)
    assert len(text) <= 3200
    assert "1 failed, 1 passed" in text  # the tail survives
    assert "lines omitted" in text
    assert "- test_calc.py:9" in text


def test_trimming_starts_at_the_failure_report():
    output = "building...\n" * 50 + "error[E0308]: mismatched types\n --> src/lib.rs:2:18\n"
    assert trimmed_output(output, 1000).startswith("error[E0308]")


def test_check_events_round_trip_through_json_dicts():
    event = failed_run((SAMPLES / "ruff_concise.txt").read_text(), "ruff check .")
    again = from_dict(event.to_dict())
    assert again == event and again.failed


def test_auto_fix_rounds_are_bounded_and_a_pass_resets_them():
    rounds = AutoFixRounds(2)
    assert rounds.enabled and rounds.remaining == 2
    assert rounds.try_start_round() and rounds.try_start_round()
    assert not rounds.try_start_round() and rounds.exhausted
    rounds.record(failed_run("boom"))
    assert rounds.exhausted
    passed = CheckFinished(run_id="r2", check="tests", command="x", state="passed", duration=0.1)
    rounds.record(passed)
    assert rounds.remaining == 2
    off = AutoFixRounds(0)
    assert not off.enabled and not off.try_start_round()
