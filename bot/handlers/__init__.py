"""Thin Telegram handlers: turn an Update into an Input and hand it on."""
