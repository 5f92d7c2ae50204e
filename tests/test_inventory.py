"""The bundled demo home and the inventory document's validation."""

from __future__ import annotations

import json

import pytest

from assistant.errors import InventoryError
from assistant.home import inventory


def test_demo_home_loads_with_chinese_names() -> None:
    inv = inventory.load(inventory.bundled_path())
    assert inv.entity("light.kitchen") is not None
    kitchen = inv.area("kitchen")
    assert kitchen is not None and "厨房" in kitchen.aliases
    assert any("客厅灯" in e.aliases for e in inv.entities)
    assert all(e.area is None or inv.area(e.area) is not None for e in inv.entities)
    assert inv.entity("cover.garage_door").attributes["device_class"] == "garage"


def test_area_given_by_name_is_mapped_to_its_id() -> None:
    inv = inventory.parse({
        "areas": [{"id": "kitchen", "name": "Kitchen"}],
        "entities": [{"entity_id": "light.k", "name": "K", "area": "Kitchen"}],
    })
    assert inv.entity("light.k").area == "kitchen"
    assert inv.entity("light.k").domain == "light"


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"areas": []}, "entities"),
        ({"entities": [{"name": "x"}]}, "entity_id"),
        ({"entities": [{"entity_id": "light.x", "aliases": [1]}]}, "aliases"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_documents_name_the_problem(doc: object, needle: str) -> None:
    with pytest.raises(InventoryError) as e:
        inventory.parse(doc)
    assert needle in e.value.message


def test_bad_json_file_is_a_clear_error(tmp_path) -> None:
    p = tmp_path / "home.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(InventoryError, match="not valid JSON"):
        inventory.load(p)
    p.write_text(json.dumps({"entities": []}), encoding="utf-8")
    assert inventory.load(p).entities == ()
