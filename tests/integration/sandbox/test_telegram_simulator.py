"""The Telegram Bot API simulator over real HTTP: the ways a call may pass its parameters, the
answers' shapes, its refusals and its fault switches."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from leadbridge.sandbox.telegram import TelegramSandbox, TelegramSandboxConfig, create_telegram_app
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio

CONFIG = TelegramSandboxConfig()
BOT = f"/bot{CONFIG.bot_token}"


@contextlib.asynccontextmanager
async def simulator() -> AsyncIterator[tuple[TelegramSandbox, httpx.AsyncClient]]:
    app = create_telegram_app(CONFIG)
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield app.state.sandbox, http


async def test_send_message_takes_a_query_a_form_and_json_and_answers_a_message() -> None:
    async with simulator() as (_sandbox, http):
        by_query = await http.get(
            f"{BOT}/sendMessage", params={"chat_id": CONFIG.chat_id, "text": "запрос"}
        )
        by_form = await http.post(
            f"{BOT}/sendMessage",
            data={
                "chat_id": CONFIG.chat_id,
                "text": "форма",
                "link_preview_options": '{"is_disabled": true}',
            },
        )
        by_json = await http.post(
            f"{BOT}/sendMessage", json={"chat_id": int(CONFIG.chat_id), "text": "json"}
        )
        listed = (await http.get("/sandbox/messages")).json()["messages"]

    for answer in (by_query, by_form, by_json):
        assert answer.status_code == 200
    message = by_json.json()
    assert message["ok"] is True
    assert set(message["result"]) == {"message_id", "from", "chat", "date", "text"}
    assert message["result"]["chat"] == {
        "id": -1001234567890,
        "type": "supergroup",
        "title": CONFIG.chat_title,
    }
    assert message["result"]["from"]["is_bot"] is True
    assert [(m["message_id"], m["text"]) for m in listed] == [
        (1, "запрос"),
        (2, "форма"),
        (3, "json"),
    ]
    assert [m["link_preview_disabled"] for m in listed] == [False, True, False]
    assert all(m["chat_id"] == CONFIG.chat_id and m["date"] > 0 for m in listed)


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": "-100555", "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": CONFIG.chat_id, "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": CONFIG.chat_id, "text": "я" * 4097}, "Bad Request: message is too long"),
        (
            {"chat_id": CONFIG.chat_id, "text": "<blink>x</blink>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "blink"',
        ),
    ],
)
async def test_a_bad_message_is_refused_with_the_bot_apis_words(
    params: dict[str, str], description: str
) -> None:
    async with simulator() as (sandbox, http):
        answer = await http.post(f"{BOT}/sendMessage", json=params)

    assert answer.status_code == 400
    assert answer.json() == {"ok": False, "error_code": 400, "description": description}
    assert sandbox.messages == []


async def test_html_markup_is_taken_out_of_the_text_the_chat_shows() -> None:
    async with simulator() as (_sandbox, http):
        answer = await http.post(
            f"{BOT}/sendMessage",
            json={"chat_id": CONFIG.chat_id, "text": "<b>Лид</b> &lt;42&gt;", "parse_mode": "HTML"},
        )
    assert answer.json()["result"]["text"] == "Лид <42>"


async def test_tokens_and_methods_it_does_not_know_are_refused() -> None:
    async with simulator() as (_sandbox, http):
        wrong = await http.get("/bot7000000001:AAHwrong/getMe")
        malformed = await http.get("/botnonsense/getMe")
        unknown = await http.get(f"{BOT}/sendTelepathy")
        any_case = await http.get(f"{BOT}/GETME")

    assert (wrong.status_code, wrong.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (malformed.status_code, malformed.json()["description"]) == (404, "Not Found")
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")
    assert any_case.json()["result"]["username"] == CONFIG.bot_username


async def test_get_me_and_get_chat_describe_the_bot_and_its_chat() -> None:
    async with simulator() as (_sandbox, http):
        me = (await http.get(f"{BOT}/getMe")).json()["result"]
        chat = (await http.get(f"{BOT}/getChat", params={"chat_id": CONFIG.chat_id})).json()
        missing = await http.get(f"{BOT}/getChat", params={"chat_id": "-1"})

    assert me["id"] == 7000000001
    assert me["is_bot"] is True
    assert chat["result"]["title"] == CONFIG.chat_title
    assert chat["result"]["type"] == "supergroup"
    assert missing.json()["description"] == "Bad Request: chat not found"


async def test_flood_control_answers_the_next_sends_429_with_retry_after() -> None:
    async with simulator() as (sandbox, http):
        switched = await http.post("/sandbox/faults", json={"too_many": 2, "retry_after": 7})
        send = {"chat_id": CONFIG.chat_id, "text": "x"}
        answers = [await http.post(f"{BOT}/sendMessage", json=send) for _ in range(3)]

    assert switched.json() == {"too_many": 2, "retry_after": 7, "down": False}
    assert [answer.status_code for answer in answers] == [429, 429, 200]
    assert answers[0].json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert len(sandbox.messages) == 1
    assert sandbox.calls["sendMessage"] == 3


async def test_down_answers_every_call_502_until_switched_back() -> None:
    async with simulator() as (_sandbox, http):
        await http.post("/sandbox/faults", json={"down": True})
        down = await http.get(f"{BOT}/getMe")
        await http.delete("/sandbox/faults")
        back = await http.get(f"{BOT}/getMe")

    assert down.status_code == 502
    assert down.headers["content-type"].startswith("text/html")
    assert back.status_code == 200


@pytest.mark.parametrize(
    "body", [{"too_many": "2"}, {"down": 1}, {"too_many": -1}, {"flood": 3}, [1]]
)
async def test_a_fault_switch_that_makes_no_sense_is_refused(body: object) -> None:
    async with simulator() as (sandbox, http):
        answer = await http.post("/sandbox/faults", json=body)
    assert answer.status_code == 400
    assert sandbox.faults.too_many == 0
    assert sandbox.faults.down is False


async def test_mail_is_not_found_without_an_smtp_sink_beside_it() -> None:
    async with simulator() as (_sandbox, http):
        assert (await http.get("/sandbox/mail")).status_code == 404
