"""Shopping and to-do lists (Home Assistant ``todo`` entities)."""

from __future__ import annotations

from typing import Annotated

from assistant.errors import SkillError
from assistant.home.inventory import Entity
from assistant.intents import Action, Intent
from assistant.skillkit.context import SkillContext
from assistant.skillkit.skill import SkillResult, skill
from skills._common import declare, display, slots

Item = Annotated[str, "the item as spoken, e.g. 'milk'"]
ListName = Annotated[str | None, "the list's name as spoken, e.g. 'shopping list'"]


def _list(ctx: SkillContext, name: str | None) -> Entity:
    if name:
        return ctx.targets(name, domains=("todo",))[0]
    todos = [e for e in ctx.inventory.entities if e.domain == "todo"]
    shopping = [e for e in todos if "shopping" in e.entity_id or "shopping" in e.name.casefold()]
    if not (shopping or todos):
        raise SkillError(ctx.say("I don't have a shopping list.", "我没有购物清单。"), code="no_list")
    return (shopping or todos)[0]


def _clean(item: str, ctx: SkillContext) -> str:
    it = item.strip().strip(".,!?。！？")
    if not it:
        raise SkillError(ctx.say("What should I add?", "要添加什么？"), code="missing_argument")
    return it


def _add(ctx: SkillContext, intent: str, item: str, name: str | None) -> SkillResult:
    it = _clean(item, ctx)
    lst = _list(ctx, name)
    return SkillResult(
        reply=ctx.say(f"Added {it} to the {lst.name}.", f"已把{it}加到{display(lst, ctx)}。"),
        intents=(Intent(intent, slots(item=item, name=name),
                        (Action("todo.add_item", lst.entity_id, {"item": it}),)),),
        undo=(Intent(intent, {"undo": True}, (Action("todo.remove_item", lst.entity_id, {"item": it}),)),),
    )


def _complete(ctx: SkillContext, intent: str, item: str, name: str | None) -> SkillResult:
    it = _clean(item, ctx)
    lst = _list(ctx, name)
    return SkillResult(
        reply=ctx.say(f"Checked off {it} on the {lst.name}.", f"已在{display(lst, ctx)}上完成{it}。"),
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
