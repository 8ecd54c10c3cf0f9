"""The synthetic people and chats of the local sandbox: residents, window staff, departments, admin.

Every person here is invented. Ids are fixed so that a page reload, the bot's settings and the
demo all agree on who is who; groups use "-100…" ids as Telegram supergroups do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.policy import Profile
from sandbox.world import World

SANDBOX_TOKEN = "1000000001:SANDBOX"
SANDBOX_BOT_USERNAME = "yimen_sandbox_bot"
SANDBOX_BOT_NAME = "一门 yimen"
STAFF_CHAT_ID = -1001000000001
STAFF_MEMBER_ID = 8001
# Department groups count down from here, one per department of the profile, in profile order.
FIRST_DEPARTMENT_CHAT_ID = -1001000000100
FIRST_DEPARTMENT_OFFICER_ID = 8100
ADMIN_ID = 9001
# Residents added from the page get ids from here on, clear of the seeded ones.
FIRST_ADDED_RESIDENT_ID = 7100
MAX_NAME_LENGTH = 32


class Role(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    DEPARTMENT = "department"
    ADMIN = "admin"


Bilingual = Mapping[str, str]  # {"zh-CN": ..., "en": ...}


@dataclass(frozen=True, slots=True)
class Persona:
    """Someone a visitor can act as: ``user_id`` types into the chat ``chat_id``."""

    key: str
    role: Role
    user_id: int
    chat_id: int
    name: Bilingual
    about: Bilingual
    language_code: str = "zh-hans"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "role": str(self.role),
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "name": dict(self.name),
            "about": dict(self.about),
            "language": "en" if self.language_code.startswith("en") else "zh-CN",
        }


@dataclass(frozen=True, slots=True)
class SeedResident:
    user_id: int
    first_name: str
    language_code: str
    about_zh: str
    about_en: str


SEED_RESIDENTS = (
    SeedResident(
        7001, "张阿姨", "zh-hans", "72岁，白沙镇，独居，养老金很少", "72, Baisha, lives alone"
    ),
    SeedResident(
        7002, "李师傅", "zh-hans", "45岁，几江街道，一级残疾", "45, Jijiang, grade-1 disability"
    ),
    SeedResident(
        7003, "Wang Fang", "en", "38岁，双福街道，失业，讲英文", "38, Shuangfu, out of work"
    ),
)


def resident_key(user_id: int) -> str:
    return f"resident-{user_id}"


@dataclass
class Cast:
    """Every persona of one sandbox, in sidebar order, plus what the bot's settings need."""

    personas: dict[str, Persona] = field(default_factory=dict)
    department_chats: dict[str, int] = field(default_factory=dict)

    @property
    def staff_chat_id(self) -> int:
        return STAFF_CHAT_ID

    @property
    def admin_ids(self) -> tuple[int, ...]:
        return tuple(p.user_id for p in self.personas.values() if p.role is Role.ADMIN)

    def settings_overrides(self) -> dict[str, object]:
        """What ``load_settings`` needs so the bot knows the sandbox's staff and admins."""
        return {
            "staff_chat_id": self.staff_chat_id,
            "admin_ids": self.admin_ids,
            "department_chats": dict(self.department_chats),
        }

    def staff_roster(self) -> dict[str, tuple[int, int]]:
        """(user id, chat id) of the window ("window") and of each department's officer."""
        roster: dict[str, tuple[int, int]] = {}
        chats = {chat: department for department, chat in self.department_chats.items()}
        for persona in self.personas.values():
            if persona.role is Role.STAFF:
                roster["window"] = (persona.user_id, persona.chat_id)
            elif persona.role is Role.DEPARTMENT and persona.chat_id in chats:
                roster[chats[persona.chat_id]] = (persona.user_id, persona.chat_id)
        return roster

    def add(self, persona: Persona) -> Persona:
        self.personas[persona.key] = persona
        return persona

    def add_resident(self, world: World, name: str, language: str) -> Persona:
        """A new resident from the page; raises ValueError for an empty or over-long name."""
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"a name has 1 to {MAX_NAME_LENGTH} characters")
        taken = [p.user_id for p in self.personas.values() if p.role is Role.RESIDENT]
        user_id = max([FIRST_ADDED_RESIDENT_ID - 1, *taken]) + 1
        english = language == "en"
        return self.add(
            _resident(
                world,
                SeedResident(
                    user_id, name, "en" if english else "zh-hans", "你添加的居民", "Added by you"
                ),
            )
        )

    def to_json(self) -> list[dict[str, Any]]:
        return [persona.to_json() for persona in self.personas.values()]


def _resident(world: World, seed: SeedResident) -> Persona:
    world.add_user(seed.user_id, seed.first_name, language_code=seed.language_code)
    name = {"zh-CN": seed.first_name, "en": seed.first_name}
    return Persona(
        key=resident_key(seed.user_id),
        role=Role.RESIDENT,
        user_id=seed.user_id,
        chat_id=seed.user_id,  # a private chat's id is the person's id
        name=name,
        about={"zh-CN": seed.about_zh, "en": seed.about_en},
        language_code=seed.language_code,
    )


def seed_cast(world: World) -> Cast:
    """Create the sandbox's residents, window staff and administrator in ``world``."""
    cast = Cast()
    for seed in SEED_RESIDENTS:
        cast.add(_resident(world, seed))
    world.add_group(STAFF_CHAT_ID, "窗口工作人员 · Window staff")
    world.add_user(STAFF_MEMBER_ID, "陈晓", username="window_chen")
    cast.add(
        Persona(
            key="staff",
            role=Role.STAFF,
            user_id=STAFF_MEMBER_ID,
            chat_id=STAFF_CHAT_ID,
            name={"zh-CN": "窗口工作人员群", "en": "Window staff group"},
            about={"zh-CN": "你是窗口工作人员陈晓", "en": "You are Chen Xiao, window staff"},
        )
    )
    world.add_user(ADMIN_ID, "周主任")
    cast.add(
        Persona(
            key="admin",
            role=Role.ADMIN,
            user_id=ADMIN_ID,
            chat_id=ADMIN_ID,
            name={"zh-CN": "管理员 周主任", "en": "Administrator Zhou"},
            about={"zh-CN": "你是系统管理员", "en": "You run yimen for the district"},
        )
    )
    return cast


def seed_departments(world: World, cast: Cast, profile: Profile) -> None:
    """One group per department of the profile, each with an officer to act as."""
    for index, department in enumerate(profile.departments.values()):
        chat_id = FIRST_DEPARTMENT_CHAT_ID - index
        officer_id = FIRST_DEPARTMENT_OFFICER_ID + index
        zh, en = department.name.text("zh-CN"), department.name.text("en")
        world.add_group(chat_id, zh)
        world.add_user(officer_id, f"{zh}经办人")
        cast.department_chats[department.id] = chat_id
        cast.add(
            Persona(
                key=f"department-{department.id}",
                role=Role.DEPARTMENT,
                user_id=officer_id,
                chat_id=chat_id,
                name={"zh-CN": zh, "en": en},
                about={"zh-CN": "你是该部门的经办人", "en": "You are this department's officer"},
            )
        )
