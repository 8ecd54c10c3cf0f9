"""A resident's rights over their data (PIPL Arts. 44–47): see it all, take it away, withdraw.

``export`` gathers everything stored about a resident, decrypted, as plain JSON values.
``forget`` withdraws their consents and deletes what the law does not oblige us to keep; what
must stay (an application still being decided, or a closed one inside its archive period) is
named with the date it goes. Both are audited with counts and the internal resident id only:
the audit row itself must not become a copy of what was exported or deleted.

The same functions serve the bot (/mydata, /forget) and the window (``yimen resident …``).
"""

from bot.casework.rights.export import Export, audit, export, find_by_id_number
from bot.casework.rights.forget import OPTIONAL_PURPOSES, Forgetting, KeptApplication, forget

__all__ = [
    "OPTIONAL_PURPOSES",
    "Export",
    "Forgetting",
    "KeptApplication",
    "audit",
    "export",
    "find_by_id_number",
    "forget",
]
