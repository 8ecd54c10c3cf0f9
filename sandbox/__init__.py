"""A local stand-in for the Telegram Bot API: one in-memory model, two faces.

``sandbox.botapi.BotApiState`` models one bot's view of Telegram (chats, messages, files,
updates) and answers Bot API methods with Telegram's JSON and error wording. Tests reach it
in-process through ``sandbox.request.FakeRequest`` (a python-telegram-bot ``BaseRequest``); a
local HTTP server can serve the same state to a real bot process.
"""
