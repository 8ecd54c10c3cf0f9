"""yimen: the front door to social assistance, as a Telegram bot."""
