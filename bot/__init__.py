"""Borgerhjælp: a Danish assisted-digital helpdesk for municipalities."""
