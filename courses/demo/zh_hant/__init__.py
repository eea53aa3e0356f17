"""The demo curriculum in Traditional Chinese (Taiwan usage): the catalogue, the Foundations
course and its first module with its quiz. Everything else stays English: in the zh-hant
tree it is an alias of the English page, shown with a note that it is not translated yet.

``TRANSLATIONS`` maps a course slug to its page's translated fields and, by module slug,
its modules'; the loader (``courses.demo.loader``) writes them onto the translations of
the English pages, keeping each quiz question's block id so the quiz keeps its structure.
"""

from courses.demo.zh_hant import foundations, m1_role

LANGUAGE = "zh-hant"

CATALOGUE = {
    "title": "課程",
    "intro": (
        "<p>Credence 培訓研究所程度的專業人士，在自己的領域教導並測試 AI 模型。請從"
        "<b>AI 資料標註基礎</b>開始；通過之後，就能修習 <b>AI Ethics for AI Trainers</b>"
        "（AI 訓練師的 AI 倫理，目前只有英文版）。每個單元最後都有一份簡短測驗，"
        "修畢整門課程即可獲得一枚任何人都能查驗的徽章。</p>"
    ),
}

TRANSLATIONS = {
    foundations.SLUG: {
        "course": foundations.COURSE,
        "modules": {m1_role.SLUG: m1_role.MODULE},
    },
}
