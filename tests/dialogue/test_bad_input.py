"""Odd messages get a sensible answer from the real assistant: never a crash, never silence."""
import json
import urllib.request

import pytest

ODD_MESSAGES = {
    "empty": "",
    "only spaces": "   ",
    "10,000 characters": "hjælp " * 1666 + "mitid",
    "only emoji": "😀😀🙏🙏",
    "Arabic": "مرحبا، أحتاج مساعدة في الهوية الرقمية",
    "Chinese": "你好，我需要帮助",
    "Cyrillic": "Здравствуйте, мне нужна помощь",
    "symbols": "?!?!... ### $$$",
}


def talk(stack, sender: str, text: str) -> list[dict]:
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.load(response)


@pytest.mark.parametrize("kind", sorted(ODD_MESSAGES))
def test_odd_messages_get_an_answer(live_stack, kind):
    replies = talk(live_stack, f"odd-{kind.replace(' ', '-').replace(',', '')}", ODD_MESSAGES[kind])
    texts = [reply.get("text", "") for reply in replies]
    assert any(text.strip() for text in texts), replies
    assert not any("{" in text for text in texts), texts


def test_unreadable_text_is_met_with_the_fallback_not_a_guess(live_stack):
    replies = talk(live_stack, "odd-cjk-fallback", "你好，我需要帮助")
    first = replies[0]
    # "Mente du ...?" offers buttons; the second-miss answer offers a person. Either way: buttons, no guessing.
    assert first.get("buttons"), replies
    assert "forstod" in first["text"] or "forstår" in first["text"], first["text"]


def test_two_misses_in_a_row_offer_a_person(live_stack):
    talk(live_stack, "odd-twice", "你好，我需要帮助")
    second = talk(live_stack, "odd-twice", "Здравствуйте, мне нужна помощь")
    payloads = [button["payload"] for reply in second for button in reply.get("buttons", [])]
    text = " ".join(reply.get("text", "") for reply in second)
    # No staff member is online in this stack, so the person offered is a booked call-back or meeting.
    assert {"/choose_callback", "/choose_meeting"} <= set(payloads), second
    assert "Jeg kan hjælpe med MitID, Digital Post og borgerservice" in text
    assert "70 00 00 00" in text
