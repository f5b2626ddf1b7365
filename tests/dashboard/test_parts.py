"""The dashboard's small parts on their own: password hashing, the login throttle, the
settings form generated from a JSON Schema, the SVG charts, issue wording."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from switchboard.dashboard.charts import Bar, bars, meter, nice_ceiling, sparkline
from switchboard.dashboard.deps import Form
from switchboard.dashboard.issues import describe_issue
from switchboard.dashboard.settings_form import (
    FormProblem,
    field_errors,
    fields_for,
    read_settings,
)
from switchboard.dashboard.throttle import LoginThrottle
from switchboard.destinations.service import MASK
from switchboard.integrations.marketo import MarketoSettings
from switchboard.integrations.webhook import WebhookSettings
from switchboard.users.passwords import WeakPassword, hash_password, verify_password

WEBHOOK = WebhookSettings.model_json_schema()


class Choices(BaseModel):
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    batch_size: int = 1


def test_passwords_are_salted_and_verified() -> None:
    first, second = hash_password("a long password"), hash_password("a long password")
    assert first != second  # salted
    assert first.startswith("scrypt$")
    assert "a long password" not in first
    assert verify_password("a long password", first)
    assert not verify_password("a long passworD", first)
    assert not verify_password("a long password", "not a hash")
    with pytest.raises(WeakPassword):
        hash_password("short")


def test_the_throttle_blocks_after_too_many_failures_and_forgets_later() -> None:
    now = [0.0]
    throttle = LoginThrottle(max_failures=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 60
    assert throttle.retry_after("10.0.0.2") == 0
    now[0] = 61
    assert throttle.retry_after("10.0.0.1") == 0


def test_the_webhook_form_has_a_field_per_setting() -> None:
    fields = {f.key: f for f in fields_for(WEBHOOK)}
    assert fields["urls"].kind == "lines"
    assert not fields["urls"].required  # a mapping may give the URL instead
    assert fields["urls"].label == "Webhook URLs"
    assert fields["headers"].kind == "map"
    assert fields["shared_secret"].kind == "password"
    assert fields["shared_secret"].nullable
    assert fields["timeout_seconds"].kind == "number"
    assert fields["timeout_seconds"].maximum == 30
    assert "method" not in fields and "batch_size" not in fields  # the mapping's now


def test_choices_become_a_select_and_integers_an_integer_field() -> None:
    fields = {f.key: f for f in fields_for(Choices.model_json_schema())}
    assert fields["method"].kind == "select"
    assert fields["method"].options == ["POST", "PUT", "PATCH"]
    assert fields["method"].value == "POST"
    assert fields["batch_size"].kind == "integer"


def test_a_stored_secret_is_never_put_back_in_the_form() -> None:
    stored = {"urls": ["https://a.example"], "shared_secret": MASK, "headers": {"A": "b"}}
    fields = {f.key: f for f in fields_for(WEBHOOK, stored)}
    assert fields["shared_secret"].stored_secret
    assert fields["shared_secret"].value == ""
    assert fields["headers"].value == "A = b"
    assert fields["urls"].value == "https://a.example"


def test_reading_the_form_back() -> None:
    form = Form(
        {
            "setting.urls": ["https://a.example/x\n\n https://b.example/y "],
            "setting.headers": ["Authorization = Bearer abc=def\n"],
            "setting.shared_secret": [""],
            "setting.timeout_seconds": ["2.5"],
        }
    )
    created = read_settings(WEBHOOK, form, editing=False)
    assert created == {
        "urls": ["https://a.example/x", "https://b.example/y"],
        "headers": {"Authorization": "Bearer abc=def"},
        "shared_secret": None,
        "timeout_seconds": 2.5,
    }
    # Editing: an empty secret keeps the stored one; ticking "remove" clears it.
    assert read_settings(WEBHOOK, form, editing=True)["shared_secret"] == MASK
    form.fields["clear.shared_secret"] = ["on"]  # type: ignore[index]
    assert read_settings(WEBHOOK, form, editing=True)["shared_secret"] is None
    WebhookSettings.model_validate(created)


def test_unreadable_fields_are_named() -> None:
    form = Form(
        {
            "setting.urls": ["https://a.example"],
            "setting.headers": ["no equals"],
            "setting.timeout_seconds": ["lots"],
        }
    )
    with pytest.raises(FormProblem) as caught:
        read_settings(WEBHOOK, form, editing=False)
    assert caught.value.errors == {
        "headers": "line 1 needs the form: name = value",
        "timeout_seconds": "must be a number",
    }
    errors = field_errors([{"loc": ["urls", 0], "msg": "Value error, must start with http://"}])
    assert errors == {"urls": "line 1: must start with http://"}


class Nested(BaseModel):
    activities: dict[str, dict[str, int]] = {}


def test_nested_settings_become_a_json_field() -> None:
    marketo = {f.key: f for f in fields_for(MarketoSettings.model_json_schema())}
    assert marketo["client_secret"].kind == "password"
    assert marketo["client_secret"].required
    schema = Nested.model_json_schema()
    fields = {f.key: f for f in fields_for(schema)}
    assert fields["activities"].kind == "json"
    form = Form({"setting.activities": ['{"Signed Up": {"activity_type_id": 1}']})
    with pytest.raises(FormProblem) as caught:
        read_settings(schema, form, editing=False)
    assert "not valid JSON" in caught.value.errors["activities"]


def test_charts_escape_labels_and_scale_to_round_numbers() -> None:
    assert nice_ceiling(0) == 1
    assert nice_ceiling(7) == 10
    assert nice_ceiling(1234) == 2000
    svg = str(bars([Bar("<b>", "<script>x</script>", (3, 1))], classes=("a", "b"), label="L"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count("<rect class=") == 2
    assert "No data" not in svg
    empty = str(bars([Bar("d", "t", (0,))], label="L", empty="Nothing yet"))
    assert "Nothing yet" in empty
    assert str(meter(150, "x")).count('width="100.00"') == 1
    assert "<title>&#34;q&#34;</title>" in str(sparkline([1, 0, 2], '"q"'))


def test_delivery_errors_are_worded_for_people() -> None:
    assert "HTTP 503" in describe_issue("http_503", "retrying").title
    assert "credentials" in describe_issue("http_401", "failed").title
    assert "slow down" in describe_issue("http_429", "retrying").title
    assert describe_issue("timeout", "retrying").title == "The destination did not answer in time"
    assert describe_issue("weird_thing", "failed").title == "Weird thing"
