"""Text the model cannot read at all is marked as not understood, whatever DIET guessed."""
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import UnreadableTextFallback

GUESS = {"name": "goodbye", "confidence": 0.93}
RANKING = [GUESS, {"name": "greet", "confidence": 0.05}]


def classified(text: str) -> Message:
    message = Message(data={"text": text, "intent": dict(GUESS), "intent_ranking": [dict(r) for r in RANKING]})
    UnreadableTextFallback().process([message])
    return message


def test_other_scripts_and_emoji_only_are_not_understood():
    for text in ("你好，我需要帮助", "Здравствуйте, мне нужна помощь", "مرحبا", "😀🙏", "?!?! ###"):
        message = classified(text)
        assert message.get("intent")["name"] == "nlu_fallback", text
        # The likeliest topics stay behind it, for "Mente du ...?".
        assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback", "goodbye", "greet"]


def test_latin_letters_or_digits_keep_the_models_answer():
    for text in ("farvel", "tak 👍", "Ærø", "20304050", "Привет bye", "café"):
        assert classified(text).get("intent") == GUESS, text


def test_an_empty_message_is_left_alone():
    assert classified("   ").get("intent") == GUESS
