"""The surface streams are typed from the vendor's models (issue 20)."""

from __future__ import annotations

import json

import pytest

from tap_dataforseo_gemini import shape
from tap_dataforseo_gemini import surface_records as sr
from tap_dataforseo_gemini.errors import MalformedAnswerError
from vendor_models import TARGET, derived


def test_vendor_models_json_is_what_the_client_models_give():
    committed = json.loads(TARGET.read_text(encoding="utf-8"))
    assert committed == derived(), "run python -m vendor_models"


def test_a_polymorphic_items_list_has_every_variants_fields():
    schema = shape.schema(*sr.SCRAPER_RESULT)
    item = schema["properties"]["items"]["items"]["properties"]
    # chat_gpt_ad's, chat_gpt_table's and gemini_text's own fields, in one item.
    assert {"advertiser", "is_rendered", "table", "original_text"} <= set(item)
    assert item["table"]["properties"]["table_content"]["items"]["items"]["type"] == [
        "string",
        "null",
    ]


def test_a_field_the_vendor_leaves_untyped_is_json_text():
    (entity,) = [f for f in sr.SCRAPER_RESULT if f.name == "brand_entities"]
    urls = {f.name: f for f in entity.kind.items.fields}["urls"]
    where = shape.Where("task_get")
    assert urls.kind.read(["https://acme.com", "acme.com"], where) == (
        '["https://acme.com", "acme.com"]'
    )


def test_a_value_of_another_type_than_the_vendors_is_refused_naming_its_field():
    answer = {"location_code": "2840"}
    with pytest.raises(MalformedAnswerError, match=r"r\.location_code is '2840'"):
        shape.read(sr.AI_MODE_FIELDS, answer, shape.Where("ai_mode/task_get", "r"))
