"""Custom actions for the Rasa assistant, one module per capability. The action server loads them all."""
