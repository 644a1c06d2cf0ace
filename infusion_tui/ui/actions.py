"""Every user action, listed once: key bindings, the help screen and the command palette
are all built from this registry, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    id: str          # binding id (stable: keymaps refer to it)
    keys: str        # textual key spec, comma separated; the first is shown in the footer
    label: str       # short footer label
    help: str        # one line for the help screen and the command palette
    scope: str       # "app", "tasks" or "orders": which widget owns the binding
    action: str      # textual action name on the owner
    show: bool = True  # shown in the footer


ACTIONS: tuple[Action, ...] = (
    # App-wide
    Action("app.help", "question_mark", "Help", "Show every key", "app", "help"),
    Action("app.palette", "ctrl+p", "Commands", "Open the command palette", "app", "command_palette", show=False),
    Action("app.focus_next_pane", "tab", "Next pane", "Move focus to the other pane", "app", "focus_next", show=False),
    Action("app.theme", "ctrl+t", "Theme", "Choose a colour theme (remembered)", "app", "change_theme", show=False),
    Action("app.quit", "q", "Quit", "Quit infusion-tui", "app", "quit"),
    # Task pane
    Action("tasks.new", "n", "New", "Create a task", "tasks", "new_task"),
    Action("tasks.edit", "e", "Edit", "Edit the selected task (enter works too)", "tasks", "edit_task"),
    Action("tasks.toggle", "x", "Done", "Mark the selected task completed / not completed", "tasks", "toggle_completed"),
    Action("tasks.filter", "slash", "Filter", "Filter tasks as you type (esc clears)", "tasks", "start_filter"),
    Action("tasks.sort", "s", "Sort", "Cycle the sort: due, priority, title, created", "tasks", "cycle_sort"),
    Action("tasks.hide_done", "h", "Hide done", "Show or hide completed tasks", "tasks", "toggle_hide_completed"),
    Action("tasks.refresh", "r", "Refresh", "Reload tasks from Keap (within the call budget)", "tasks", "refresh"),
    # Orders feed
    Action("orders.details", "enter", "Details", "Open the selected order", "orders", "open_details", show=False),
    Action("orders.filter", "slash", "Filter", "Filter orders as you type (esc clears)", "orders", "start_filter"),
    Action("orders.refresh", "r", "Refresh", "Check for new orders now (within the call budget)", "orders", "refresh"),
    Action("orders.pause", "p", "Pause", "Pause or resume the live feed", "orders", "toggle_pause"),
    Action("orders.copy", "c", "Copy id", "Copy the selected order id to the clipboard", "orders", "copy_id"),
    Action("orders.export", "E", "Export", "Export the visible orders to CSV", "orders", "export_csv"),
    # The task form (its own screen: these are its bindings)
    Action("task_form.save", "ctrl+s", "Save", "Save the task (the form stays open on failure)", "form", "save"),
    Action("task_form.cancel", "escape", "Cancel", "Close the form (asks first if you typed something)", "form", "cancel"),
    # The order details (its own screen)
    Action("details.close", "escape,q,enter", "Close", "Close the order details", "details", "dismiss"),
)

SCOPE_TITLES = {"app": "Everywhere", "tasks": "Task pane", "orders": "Orders feed",
                "form": "Task form", "details": "Order details"}


def bindings_for(scope: str) -> list[Binding]:
    return [
        Binding(a.keys, a.action, a.label, show=a.show, id=a.id)
        for a in ACTIONS
        if a.scope == scope
    ]


def actions_for(scope: str) -> list[Action]:
    return [a for a in ACTIONS if a.scope == scope]


def key_label(keys: str) -> str:
    """How a key spec reads to a person: 'question_mark' -> '?', 'ctrl+p' -> 'ctrl+p'."""
    names = {"question_mark": "?", "slash": "/", "enter": "enter", "tab": "tab", "escape": "esc"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))
