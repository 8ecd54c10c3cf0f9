"""Talk to staff: a resident's thread with the window staff, relayed through the staff chat.

The resident's texts go to the staff chat through the outbox; each posted message is linked to
its thread (RelayedMessage), so a staff member answers by replying to it and the answer finds
its way back. The staff chat message id is known only once the dispatcher has sent the row, so
it is read through the outbox row the first time a reply arrives, and kept on RelayedMessage.

``threads``: the thread and its buttons; ``routing``: where a resident's input goes while it is
open; ``messages``: the texts both ways, cut to fit and throttled.
"""

from bot.casework.relay.messages import (
    MESSAGE_LIMIT,
    Relayed,
    RelayedText,
    RelayResult,
    StaffNote,
    answer_resident,
    close_thread,
    mask_id_numbers,
    relay_to_staff,
    split_for_telegram,
    tell_staff_chat,
)
from bot.casework.relay.routing import HELD_LIMIT, Routing, route, typed_choice, which_screen
from bot.casework.relay.threads import (
    ANSWER,
    ANSWER_DATA,
    CLOSE,
    CLOSE_DATA,
    ENDING_COMMANDS,
    OPEN,
    OPEN_DATA,
    SEND,
    SEND_DATA,
    ThreadStatus,
    answering_town,
    any_open_thread,
    close_button,
    end,
    is_idle,
    open_thread,
    open_thread_of,
    talk_to_staff_button,
    thread_replied_to,
    town_of,
)

__all__ = [
    "ANSWER",
    "ANSWER_DATA",
    "CLOSE",
    "CLOSE_DATA",
    "ENDING_COMMANDS",
    "HELD_LIMIT",
    "MESSAGE_LIMIT",
    "OPEN",
    "OPEN_DATA",
    "SEND",
    "SEND_DATA",
    "RelayResult",
    "Relayed",
    "RelayedText",
    "Routing",
    "StaffNote",
    "ThreadStatus",
    "answer_resident",
    "answering_town",
    "any_open_thread",
    "close_button",
    "close_thread",
    "end",
    "is_idle",
    "mask_id_numbers",
    "open_thread",
    "open_thread_of",
    "relay_to_staff",
    "route",
    "split_for_telegram",
    "talk_to_staff_button",
    "tell_staff_chat",
    "thread_replied_to",
    "town_of",
    "typed_choice",
    "which_screen",
]
