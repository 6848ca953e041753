"""The workbench's threads: which one is current, the list beside it, and the thread actions
(new, switch, rename, delete, fork, search, another model), each one an op on the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App
from textual.widgets import Input

from rigtui import protocol as ev
from rigtui.ui.thread_pane import ThreadList, ThreadPane

if TYPE_CHECKING:
    from rigtui.session import Session, Thread


class Threads:
    """`current` is the thread shown; `switched(thread, history)` is told after each switch."""

    def __init__(
        self,
        app: App[int],
        session: Session,
        switched: Callable[[Thread, list[ev.Event]], None],
    ) -> None:
        self.app = app
        self.session = session
        self.current: Thread | None = None
        self._switched = switched

    @property
    def current_id(self) -> str:
        return self.current.id if self.current else ""

    async def refresh(self) -> None:
        threads = await self.session.threads()
        running = {t.id for t in threads if self.session.running(t.id)}
        current = self.current.id if self.current else None
        states = await self.session.task_states()
        self.app.query_one(ThreadList).set_threads(threads, current, running, states)

    async def switch(self, thread_id: str) -> None:
        thread = await self.session.find_thread(thread_id)
        if thread is None:
            return
        self.current = thread
        history = await self.session.history(thread_id)
        await self.app.query_one(ThreadPane).open_thread(thread_id, history)
        self._offer_unsent(history)
        self._switched(thread, history)
        await self.refresh()

    async def open_first(self) -> None:
        self.app.set_interval(60, self.refresh)  # the list's "5m ago" stays true
        threads = await self.session.threads()
        thread = threads[0] if threads else await self.session.new_thread("Thread 1")
        await self.switch(thread.id)

    async def renamed(self, thread_id: str) -> None:
        if thread_id == self.current_id:
            self.current = await self.session.find_thread(thread_id)

    def _offer_unsent(self, history: list[ev.Event]) -> None:
        """A message queued and never sent (the workbench closed first) goes back into an
        empty message box, so the words are not lost."""
        unsent = last_unsent(history)
        box = self.app.query_one("#message", Input)
        if unsent and not box.value:
            box.value = unsent
            self.app.notify("Your unsent message is back in the message box.")

    # --- actions ---------------------------------------------------------------------------

    async def new(self) -> None:
        count = len(await self.session.threads())
        thread = await self.session.new_thread(f"Thread {count + 1}")
        await self.switch(thread.id)

    async def targeted(self) -> Thread | None:
        """The highlighted thread when the thread list has focus, else the current one."""
        thread_list = self.app.query_one(ThreadList)
        if thread_list.has_focus and thread_list.highlighted is not None:
            option_id = thread_list.get_option_at_index(thread_list.highlighted).id
            if option_id:
                return await self.session.find_thread(option_id)
        return self.current

    async def rename(self) -> None:
        thread = await self.targeted()
        if thread is None:
            return

        async def rename(title: str | None) -> None:
            if title and title != thread.title:
                await self.session.send(ev.RenameThread(thread.id, title))

        from rigtui.ui.modals import PromptScreen  # loaded on use

        self.app.push_screen(PromptScreen("Rename thread", thread.title), rename)

    async def delete(self) -> None:
        target = await self.targeted()
        if target is None:
            return
        thread_id = target.id

        async def delete(yes: bool | None) -> None:
            if not yes:
                return
            await self.session.send(ev.DeleteThread(thread_id))
            await self.app.query_one(ThreadPane).forget_thread(thread_id)
            if self.current_id == thread_id:
                await self.open_first()
            else:
                await self.refresh()

        title = target.title or "this thread"
        from rigtui.ui.modals import ConfirmScreen  # loaded on use

        self.app.push_screen(ConfirmScreen(f"Delete {title!r} and its history?"), delete)

    async def fork(self) -> None:
        thread = self.current
        if thread is None:
            return
        rows = await self.session.history_rows(thread.id)
        choices = [
            (f"{seq}", f"after: {first_line(e.text)}")
            for seq, e in rows
            if isinstance(e, ev.UserMessage | ev.AssistantMessage)
        ]
        if not choices:
            self.app.notify("nothing to fork yet: the thread has no messages")
            return

        async def fork(seq: str | None) -> None:
            if seq is not None:
                await self.session.send(ev.ForkThread(thread.id, seq=int(seq)))
                newest = (await self.session.threads())[0]
                await self.switch(newest.id)

        question = "Fork this thread after which message?"
        from rigtui.ui.modals import ChooseScreen  # loaded on use

        self.app.push_screen(ChooseScreen(question, choices[::-1]), fork)

    def switch_model(self, chosen: Callable[[str], None]) -> None:
        thread = self.current
        if thread is None:
            return
        profiles = self.session.settings.model.profiles
        choices = [(name, f"{name}: {p.model} @ {p.base_url or 'default endpoint'}")
                   for name, p in profiles.items()]  # fmt: skip

        async def switch(name: str | None) -> None:
            if name is not None:
                await self.session.send(ev.SetThreadModel(thread.id, name))
                chosen(name)

        from rigtui.ui.modals import ChooseScreen  # loaded on use

        self.app.push_screen(ChooseScreen("Model for this thread", choices), switch)

    def search(self) -> None:
        async def search(text: str | None) -> None:
            if not text:
                return
            found = await self.session.search_threads(text)
            if not found:
                self.app.notify(f"no thread mentions {text!r}")
                return

            async def open_it(thread_id: str | None) -> None:
                if thread_id:
                    await self.switch(thread_id)

            from rigtui.ui.thread_rows import thread_label

            states = await self.session.task_states()
            choices = [
                (t.id, thread_label(t, states.get(t.id, {}), self.session.running(t.id)))
                for t in found
            ]
            from rigtui.ui.modals import ChooseScreen  # loaded on use

            self.app.push_screen(ChooseScreen(f"Threads mentioning {text!r}", choices), open_it)

        from rigtui.ui.modals import PromptScreen  # loaded on use

        self.app.push_screen(PromptScreen("Search threads for"), search)


def last_unsent(history: list[ev.Event]) -> str:
    """The words of the last MessageNotSent that nothing was sent after (else "")."""
    for event in reversed(history):
        if isinstance(event, ev.UserMessage):
            return ""
        if isinstance(event, ev.MessageNotSent):
            return event.text
    return ""


def first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


class ThreadActions:
    """The workbench's thread actions (rigtui.ui.keymap's new, rename, delete, fork, model,
    search, the list), mixed into the app: each hands over to its `Threads`."""

    threads: Threads | None

    async def action_new_thread(self) -> None:
        await self._threads().new()
        self.query_one("#message").focus()  # type: ignore[attr-defined]

    async def action_rename_thread(self) -> None:
        await self._threads().rename()

    async def action_delete_thread(self) -> None:
        await self._threads().delete()

    async def action_fork_thread(self) -> None:
        await self._threads().fork()

    def action_switch_model(self) -> None:
        status = self.status  # type: ignore[attr-defined]
        self._threads().switch_model(lambda name: status.show(profile=name))

    def action_search_threads(self) -> None:
        self._threads().search()

    def _threads(self) -> Threads:
        assert self.threads is not None, "the session opens right after the first frame"
        return self.threads

    def action_toggle_thread_list(self) -> None:
        query_one = self.query_one  # type: ignore[attr-defined]
        thread_list = query_one("#thread-list")
        if thread_list.has_focus:
            thread_list.add_class("-hidden")
            query_one("#message").focus()
        else:
            thread_list.remove_class("-hidden")
            thread_list.focus()
