"""Compaction against the scripted server: a warning as the thread fills its (small) window,
then the model's summary of the older turns, sent in their place from then on; the originals
stay in the log, searchable. `/compact` does it on demand, through `rigtui exec` too."""

from __future__ import annotations

import json
from pathlib import Path

from rigtui import protocol as ev
from rigtui.agent.compaction import SUMMARY_PROMPT, WARNING
from rigtui.agent.context import SUMMARY_HEAD, messages_from_events
from rigtui.protocol import CompactThread, SendMessage
from tests.support.fake_openai import (
    FakeOpenAI,
    Say,
    collect_until,
    make_settings,
    of_type,
    open_session,
    task_ended,
)
from tests.unit.agent.test_agent_exec import configure, rigtui

WINDOW = 8000  # tokens; the prompt may fill 80%, of which rigtui's tools and system take ~1,060
HISTORY = 5300  # what is left for the thread's messages, roughly


def reply(share: float, word: str) -> str:
    """A reply of about `share` of the room the messages have."""
    return (word + " ") * int(share * HISTORY * 4 / (len(word) + 1))


async def test_a_filling_thread_is_warned_then_compacted_and_the_summary_sent_instead(
    project: Path,
) -> None:
    script = [
        Say(reply(0.5, "alpha")),
        Say(reply(0.35, "bravo")),
        Say(reply(0.1, "charlie")),
        Say("- the user asked three questions about alpha, bravo and charlie"),
        Say("the fourth answer"),
    ]
    with FakeOpenAI(script) as server:
        session = await open_session(project, make_settings(server.base_url, context_window=WINDOW))
        try:
            thread = await session.new_thread("t")
            events = session.subscribe()
            seen = []
            for text in ("first", "second", "third", "fourth"):
                await session.send(SendMessage(thread.id, text))
                seen.append(await collect_until(events, task_ended(thread.id)))
            history = await session.history(thread.id)
            found = await session.search_threads("bravo")
        finally:
            await session.close()
        requests = server.requests

    warnings = [[n for n in of_type(s, ev.Notice) if n.text.startswith(WARNING)] for s in seen]
    assert [len(w) for w in warnings] == [0, 0, 1, 0]  # said once, before compacting
    assert "/compact does it now" in warnings[2][0].text
    assert not of_type(seen[2], ev.ThreadCompacted)

    (compacted,) = of_type(seen[3], ev.ThreadCompacted)
    assert compacted.reason == "auto" and compacted.replaced_messages == 6
    assert compacted.summary.startswith("- the user asked three questions")
    assert compacted.tokens_after < compacted.tokens_before // 4
    first_of_fourth = of_type(seen[3], ev.UserMessage)[0]
    assert compacted.keep_from == first_of_fourth.message_id  # the turn at work is kept

    summary_request, fourth = requests[3], requests[4]
    assert "tools" not in summary_request
    assert summary_request["messages"][0] == {"role": "system", "content": SUMMARY_PROMPT}
    asked = summary_request["messages"][1]["content"]
    assert "[user]\nfirst" in asked and "bravo bravo" in asked and "fourth" not in asked

    sent = fourth["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert sent[1]["content"].startswith(SUMMARY_HEAD)
    assert compacted.summary in sent[1]["content"] and sent[1]["content"].endswith("fourth")
    assert "alpha alpha" not in json.dumps(fourth)
    # the originals stay in the log (shown, searchable); only what is sent changed
    assert any(isinstance(e, ev.AssistantMessage) and "bravo" in e.text for e in history)
    assert [t.id for t in found] == [thread.id]


async def test_compact_on_demand_keeps_the_last_turn_and_says_when_there_is_nothing(
    project: Path,
) -> None:
    script = [Say("one"), Say("two"), Say("- summary of one")]
    with FakeOpenAI(script) as server:
        session = await open_session(project, make_settings(server.base_url))
        try:
            thread = await session.new_thread("t")
            events = session.subscribe()
            await session.send(CompactThread(thread.id))  # an empty thread: nothing to do
            for text in ("first", "second"):
                await session.send(SendMessage(thread.id, text))
            await session.send(CompactThread(thread.id))  # queued behind the messages
            seen = await collect_until(events, lambda e: isinstance(e, ev.ThreadCompacted))
            await session.send(CompactThread(thread.id))  # the same turn again: nothing to do
            await session.wait_idle(thread.id)
            history = await session.history(thread.id)
        finally:
            await session.close()
    notices = [e.text for e in history if isinstance(e, ev.Notice)]
    assert notices.count("nothing to compact yet: the latest turn is always kept as it is") == 2
    (compacted,) = of_type(seen, ev.ThreadCompacted)
    assert compacted.reason == "asked" and compacted.replaced_messages == 2
    usage = [e for e in history if isinstance(e, ev.UsageUpdated)]
    assert len(usage) == 3 and usage[-1].task_id == ""  # the summary request counts too
    assert usage[-1].thread_input_tokens == sum(u.input_tokens for u in usage)
    sent = messages_from_events(history)
    assert [m["role"] for m in sent] == ["user", "assistant"]
    assert sent[0]["content"].endswith("second") and "- summary of one" in sent[0]["content"]


def test_exec_compact_needs_a_thread_and_other_builtins_say_where_they_work(
    project: Path,
) -> None:
    with FakeOpenAI([Say("one"), Say("two"), Say("- what was said")]) as server:
        configure(project, server.base_url)
        first = rigtui("exec", "first", "--path", str(project), "--json", cwd=project)
        thread_id = json.loads(first.stdout.splitlines()[-1])["thread_id"]
        rigtui("exec", "second", "--thread", thread_id, "--path", str(project), cwd=project)
        bare = rigtui("exec", "/compact", "--path", str(project), cwd=project)
        done = rigtui(
            "exec", "/compact", "--thread", thread_id, "--path", str(project), cwd=project
        )
        asked = server.requests[-1]
    assert bare.returncode == 2 and "/compact needs the thread" in bare.stderr
    assert done.returncode == 0, done.stderr
    assert "compacted 2 earlier messages into a summary" in done.stdout
    assert "tools" not in asked and "first" in asked["messages"][1]["content"]
    for command, instead in (("/undo", "rigtui undo"), ("/new", "without --thread")):
        result = rigtui("exec", command, "--path", str(project), cwd=project)
        assert result.returncode == 2
        assert f"{command} works only in the workbench" in result.stderr
        assert instead in result.stderr
