"""Shopping and to-do lists (Home Assistant ``todo`` entities)."""

from __future__ import annotations

import re
from typing import Annotated

from assistant.errors import SkillError
from assistant.home import words
from assistant.home.inventory import Entity
from assistant.intents import Action, Intent
from assistant.skillkit.context import NeedsChoice, SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import declare, display, slots

Item = Annotated[str, "the item as spoken, e.g. 'milk'"]
ListName = Annotated[str | None, "the list's name as spoken, e.g. 'shopping list'"]


_LIST_WORDS = re.compile(r"(?:\s+(?:to[- ]?do\s+)?list|清单|列表)$", re.IGNORECASE)


def _list(ctx: SkillContext, name: str | None) -> Entity:
    """The list named ("the hardware store list", "五金店清单"), else the shopping list."""
    todos = [e for e in ctx.inventory.entities if e.domain == "todo"]
    if name:
        said = words.key(name)
        bare = words.key(_LIST_WORDS.sub("", name.strip()))
        for e in todos:  # every name of a list, with and without the word "list"
            keys = {words.key(n) for n in (e.name, *e.aliases)}
            keys |= {words.key(_LIST_WORDS.sub("", n)) for n in (e.name, *e.aliases)}
            if said in keys or (bare and bare in keys):
                return e
        try:
            found = ctx.targets(name, domains=("todo",), local=False)
        except NeedsChoice:
            raise
        except SkillError:
            found = ()
        if len(found) == 1 and found[0].domain == "todo":
            return found[0]
        raise SkillError(ctx.t("todo.unknown", name=name.strip()), code="target_none")
    shopping = [e for e in todos if "shopping" in e.entity_id or "shopping" in e.name.casefold()]
    if not (shopping or todos):
        raise SkillError(ctx.t("todo.no_list"), code="no_list")
    return (shopping or todos)[0]


def _clean(item: str, ctx: SkillContext) -> str:
    it = item.strip().strip(".,!?。！？")
    if not it:
        raise SkillError(ctx.t("todo.what"), code="missing_argument")
    return it


def _add(ctx: SkillContext, intent: str, item: str, name: str | None) -> SkillResult:
    it = _clean(item, ctx)
    lst = _list(ctx, name)
    return SkillResult(
        reply=ctx.t("todo.added", item=it, list=display(lst, ctx)),
        intents=(Intent(intent, slots(item=item, name=name),
                        (Action("todo.add_item", lst.entity_id, {"item": it}),)),),
        undo=(Intent(intent, {"undo": True}, (Action("todo.remove_item", lst.entity_id, {"item": it}),)),),
    )


def _complete(ctx: SkillContext, intent: str, item: str, name: str | None) -> SkillResult:
    it = _clean(item, ctx)
    lst = _list(ctx, name)
    return SkillResult(
        reply=ctx.t("todo.completed", item=it, list=display(lst, ctx)),
        intents=(Intent(intent, slots(item=item, name=name),
                        (Action("todo.update_item", lst.entity_id, {"item": it, "status": "completed"}),)),),
        undo=(Intent(intent, {"undo": True},
                     (Action("todo.update_item", lst.entity_id, {"item": it, "status": "needs_action"}),)),),
    )


@skill("HassShoppingListAddItem", **declare(("todo.add_item", "todo.remove_item")))
def shopping_add(ctx: SkillContext, item: Item) -> SkillResult:
    """Add an item to the shopping list."""
    return _add(ctx, "HassShoppingListAddItem", item, None)


@skill("HassShoppingListCompleteItem", **declare(("todo.update_item",)))
def shopping_complete(ctx: SkillContext, item: Item) -> SkillResult:
    """Check an item off the shopping list."""
    return _complete(ctx, "HassShoppingListCompleteItem", item, None)


@skill("HassListAddItem", **declare(("todo.add_item", "todo.remove_item")))
def list_add(ctx: SkillContext, item: Item, name: ListName = None) -> SkillResult:
    """Add an item to a named to-do list."""
    return _add(ctx, "HassListAddItem", item, name)


@skill("HassListCompleteItem", **declare(("todo.update_item",)))
def list_complete(ctx: SkillContext, item: Item, name: ListName = None) -> SkillResult:
    """Mark an item on a to-do list as done."""
    return _complete(ctx, "HassListCompleteItem", item, name)
