"""The only code that talks to Telegram: showing dialogs and, later, draining the outbox."""
