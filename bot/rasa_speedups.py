"""Work Rasa 3.6 repeats on every action call, done once instead; what Rasa checks stays the same.

Rasa validates each answer of the action server with `jsonschema.validate`, which checks the schema
itself against JSON Schema's meta-schema and builds a new validator every time: about a fifth of
Rasa's CPU time per message here (make bench --profile). `install()` replaces that one method with
a validator built once from the same schema, raising the same ValidationError with Rasa's own hint.
It also installs bot.incremental_states: the dialogue states of a conversation worked out once per
event rather than from its first event on every prediction.
bot.rasa_launch calls it before Rasa starts; nothing else of Rasa is touched.
"""
from __future__ import annotations

import functools
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from bot import incremental_states


@functools.lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, as jsonschema.validate did on every call
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    # The error jsonschema.validate would raise: the best match among all errors.
    error = best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    incremental_states.install()
