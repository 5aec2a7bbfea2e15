"""Personal data: redaction at the door, deletion on request, and the retention purge."""
from bot.privacy.deletion import delete_conversation, purge_older_than
from bot.privacy.redaction import CARD_PLACEHOLDER, CPR_PLACEHOLDER, Redaction, redact
from bot.privacy.warnings import redaction_warning

__all__ = [
    "CARD_PLACEHOLDER",
    "CPR_PLACEHOLDER",
    "Redaction",
    "delete_conversation",
    "purge_older_than",
    "redact",
    "redaction_warning",
]
