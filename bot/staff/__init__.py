"""What staff see: the window's alert, a department's task card, the prompts on them (document
and reason pickers, dates, amounts, notes), reading what staff type, and turning what casework
decided into a ``StaffReply`` for the handler. Decisions themselves live in ``bot/casework``.
"""
