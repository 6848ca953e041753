"""Checks: named commands (tests, lint, type-check) that re-run as files change.

spec.checks_for(root, settings) -> list[Check]     configured, else detected (unconfirmed)
spec.save_checks(root, checks)                      append [checks] to .rigtui.toml
runner.CheckRunner(root, checks, sandbox, debounce_ms=...)
    .attach(watcher) .on_changes(paths) .changes_applied(change_set_id, paths)
    .run_now(names) await .run_once(names) .subscribe() .add_listener(fn) await .close()
events: CheckQueued, CheckStarted, CheckOutput, CheckFinished
parsers.parse_locations(output, command, root) -> list[Location]
feedback.failure_message(finished) -> str; feedback.AutoFixRounds(limit)
"""
