"""Learning from what the assistant missed: the inbox, kept examples, and training a new model safely."""
