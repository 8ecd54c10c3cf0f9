"""Synthetic residents' screenings, step by step: used by the demo, the tests and the benchmark.

Each step is what a person does: ("say", text) sends a message, ("tap", label) taps the button
with that label on the bot's latest message. Everyone here is invented.
"""

from __future__ import annotations

Step = tuple[str, str]  # ("say", text) or ("tap", a button's label)

START_ZH: list[Step] = [("say", "/start"), ("tap", "中文"), ("tap", "✅ 同意，开始")]
START_EN: list[Step] = [("say", "/start"), ("tap", "English"), ("tap", "✅ I agree, start")]

# 张阿姨, 72, lives alone in Baisha on a small pension: a complete screening in Chinese.
ZHANG_AYI: list[Step] = [
    *START_ZH,
    ("tap", "都没有，继续"),
    ("tap", "🙋 我自己"),
    ("say", "72岁"),
    ("say", "白沙"),
    ("tap", "1"),
    ("say", "四百"),
    ("tap", "几乎没有"),
    ("tap", "都没有"),
    ("tap", "独自居住"),
    ("tap", "没有"),
    ("tap", "有稳定安全的住处"),
]
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
    ("tap", "Children in school"),
    ("tap", "None"),
    ("tap", "Renting, cannot afford the rent"),
    ("tap", "✅ Yes"),
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
    ("tap", "有孩子在上学"),
    ("tap", "🔥 火灾、洪水等灾害"),
    ("tap", "房子危险或损坏"),
    ("say", "是"),
]
