"""Synthetic residents' screenings, step by step: used by the demo, the tests and the benchmark.

Each step is what a person does: ("say", text) sends a message, ("tap", label) taps the button
with that label on the bot's latest message. Everyone here is invented.
"""

from __future__ import annotations

Step = tuple[str, str]  # ("say", text) or ("tap", a button's label)

START_ZH: list[Step] = [("say", "/start"), ("tap", "中文"), ("tap", "✅ 同意，开始")]
START_EN: list[Step] = [("say", "/start"), ("tap", "English"), ("tap", "✅ I agree, start")]


def alone_on_a_small_pension(age: str) -> list[Step]:
    """An older person living alone in Baisha on 400 yuan a month: a screening in Chinese."""
    return [
        *START_ZH,
        ("tap", "都没有，继续"),
        ("tap", "🙋 我自己"),
        ("say", age),
        ("say", "白沙"),
        ("tap", "1"),
        ("say", "四百"),
        ("tap", "几乎没有"),
        ("tap", "都没有"),
        ("tap", "生活能自理"),
        ("tap", "没有"),
        ("tap", "有稳定安全的住处"),
    ]


# 张阿姨, 72, lives alone in Baisha on a small pension.
ZHANG_AYI: list[Step] = alone_on_a_small_pension("72岁")
# Wang Fang, out of work with two children in school: a complete screening in English.
WANG_FANG: list[Step] = [
    *START_EN,
    ("tap", "None of these, go on"),
    ("tap", "🙋 Myself"),
    ("say", "38"),
    ("say", "Shuangfu"),
    ("tap", "3"),
    ("say", "about 1200"),
    ("tap", "Almost nothing"),
    ("tap", "Neither"),
    ("say", "2 3"),  # the household: a child at school, someone out of work
    ("tap", "None"),
    ("tap", "Renting, cannot afford the rent"),
]
# 李师傅 stopped halfway, at the income question: the bot will offer to continue.
LI_SHIFU: list[Step] = [
    *START_ZH,
    ("tap", "都没有，继续"),
    ("tap", "🙋 我自己"),
    ("say", "45"),
    ("say", "几江"),
    ("tap", "2"),
]

# A family after a house fire, with an urgent need tonight: a complete screening in Chinese.
FAMILY_AFTER_FIRE: list[Step] = [
    *START_ZH,
    ("tap", "🏠 今晚没有地方住"),
    ("tap", "继续 ➡️"),
    ("tap", "👪 家里人"),
    ("say", "45岁"),
    ("tap", "几江街道"),
    ("say", "4"),
    ("say", "一千五"),
    ("tap", "几乎没有"),
    ("tap", "都没有"),
    ("say", "2"),  # the household: a child at school
    ("tap", "🔥 火灾、车祸等意外，或突发重病"),
    ("tap", "房子危险或损坏"),
]


# The application's buttons, in each language (the tests' tap scripts read them too).
LABELS = {
    "zh-CN": {
        "apply_these": "📝 申请这些帮助",
        "notice": "✅ 同意，开始填写",
        "chosen": "✅ 选好了",
        "self": "🙋 我自己",
        "family": "👪 家里人",
        "no_household": "✅ 没有其他家庭成员",
        "add_member": "➕ 添加一位家庭成员",
        "everyone": "✅ 就这些，继续",
        "yes": "✅ 是",
        "no": "❌ 否",
        "authorise": "✅ 同意授权核对",
        "skip": "⏭️ 先跳过，以后再交",
        "submit": "📨 确认提交申请",
    },
    "en": {
        "apply_these": "📝 Apply for these",
        "notice": "✅ I agree, start the form",
        "chosen": "✅ Done",
        "self": "🙋 Myself",
        "family": "👪 A family member",
        "no_household": "✅ No other household members",
        "add_member": "➕ Add a household member",
        "everyone": "✅ That's everyone, go on",
        "yes": "✅ Yes",
        "no": "❌ No",
        "authorise": "✅ I authorise the check",
        "skip": "⏭️ Skip, send it later",
        "submit": "📨 Submit the application",
    },
}


def application(
    name: str, id_number: str, phone: str, village: str, locale: str = "zh-CN"
) -> list[Step]:
    """After a screening: apply for everything found, skipping every document for now."""
    labels = LABELS[locale]
    return [
        ("tap", labels["apply_these"]),
        ("tap", labels["notice"]),
        ("tap", labels["chosen"]),
        ("say", name),  # for oneself and the town: said in the screening
        ("say", id_number),
        ("say", phone),
        ("say", village),
        ("tap", labels["no_household"]),
        ("tap", labels["authorise"]),
        ("skip", labels["skip"]),
        ("tap", labels["submit"]),
    ]
