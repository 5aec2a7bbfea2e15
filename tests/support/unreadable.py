"""Citizen messages the assistant cannot read whatever the model learned: no Latin letter and no
digit, so bot.nlu.component.UnreadableTextFallback makes them nlu_fallback by rule, not by chance.
Latin-letter gibberish ("xqzv blorp fnark") depends on the model: one trained on more data read it
as out_of_scope."""
UNREADABLE = ("你好，我需要帮助", "помогите мне пожалуйста")
