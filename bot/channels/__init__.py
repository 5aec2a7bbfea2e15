"""The channels citizens write from: the web widget (`web`) and Telegram (`telegram`), both on the gateway's core."""
