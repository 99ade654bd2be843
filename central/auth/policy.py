"""What a staff password must be, for every way one is set (the API, the CLI, the demo).

At least MIN_LENGTH characters, not containing the user name, and not easy to guess by zxcvbn
(Dropbox's estimator, MIT licence; its bundled lists hold the 30 000 most common passwords of
leaked sets, English words, names and surnames, and it finds repeats, sequences, keyboard
patterns and dates): a score of at least MIN_SCORE of 4, i.e. an estimated 10^8 guesses or more.
That is what a copy of the database would cost an attacker through the Argon2id hashes; online,
the login throttle (throttle.py) allows only a handful of guesses per hour.
"""
from __future__ import annotations

from typing import Any

from zxcvbn import zxcvbn
from zxcvbn.matching import add_frequency_lists

MIN_LENGTH = 10
MIN_SCORE = 3
# zxcvbn's time grows with the length; what follows the first 64 characters only adds strength.
CHECKED_CHARS = 64

# Why a password was refused, by the pattern zxcvbn found weakest in it.
_BECAUSE = {
    "passwords": "it is a commonly used password, or one with a few characters changed",
    "chinese_common": "it is built from a common pinyin word, name or love number (woaini, 1314 …)",
    "repeat": "it is mostly repeated characters or words (like aaaa or abcabc)",
    "sequence": "it is mostly a sequence (like abcdef or 987654)",
    "spatial": "it is mostly a keyboard pattern (like qwerty or 1qaz2wsx)",
    "date": "it is mostly a date or a year",
    "user_inputs": "it is built from the user or display name",
}


# zxcvbn's lists are English. Passwords common in China are pinyin words, surnames and given
# names, love numbers (520 "I love you", 1314 "for a lifetime") and the QQ/CSDN leaks' favourites;
# added as a list of its own, most common first (zxcvbn ranks by position), so that woaini1314 or
# zhangwei1988 score as the guesses they are.
CHINESE_COMMON = (
    "woaini", "woaini1314", "5201314", "1314520", "520520", "521521", "woaiwojia", "wodemima", "mima",
    "zhangwei", "wangwei", "wangfang", "liwei", "wangxiuying", "lina", "zhangxiuying", "liuwei", "zhangmin",
    "lijing", "zhangli", "wangjing", "liuyang", "zhangyan", "wangyan", "zhangjing", "zhangyong", "wangqiang",
    "liqiang", "zhangjie", "wanglei", "lijun", "zhanglei", "liuyan", "wangping", "wangjun", "liping",
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma", "zhu",
    "hu", "guo", "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang", "han", "feng", "deng",
    "cao", "peng", "zeng", "xiao", "tian", "dong", "pan", "yuan", "cai", "jiang", "yu", "du", "ye", "cheng",
    "wei", "su", "lu", "ding", "ren", "shen", "yao", "jin", "qiu", "xia", "fu", "fang", "bai", "zou", "meng",
    "xiong", "qin", "xue", "yan", "zhong", "wan", "gu", "qian", "tan", "dai",
    "aini", "qq123456", "qwe123", "a123456", "abc123", "aa123456", "123456a", "iloveyou", "dearbook",
    "xiaoming", "xiaohong", "xiaoli", "xiaowei", "xiaoyu", "xiaojie", "baobao", "laogong", "laopo",
    "tiantian", "shanghai", "beijing", "guangzhou", "shenzhen", "zhongguo", "china", "wuye", "wuyefuwu",
    "qiantai", "fuwu", "admin", "guanliyuan", "mima123", "mimamima", "88888888", "66666666", "147258369",
)
add_frequency_lists({"chinese_common": list(CHINESE_COMMON)})


class WeakPassword(ValueError):
    """A password refused by the policy; str() says why."""


def check_password(password: str, username: str = "", display_name: str = "") -> None:
    """Raise WeakPassword saying why, unless `password` meets the policy for this account."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(username) >= 3 and username.lower() in password.lower():
        raise WeakPassword("the password must not contain the user name")
    names = [n for n in (username, display_name) if n]
    result = zxcvbn(password[:CHECKED_CHARS], user_inputs=names)
    if result["score"] < MIN_SCORE:
        raise WeakPassword(f"this password is too easy to guess: {_reason(result)}; "
                           "use a longer one, e.g. a few unrelated words")


def _reason(result: dict[str, Any]) -> str:
    # The longest pattern decides: it is what made the guess count small.
    for match in sorted(result["sequence"], key=lambda m: -len(m["token"])):
        kind = match.get("dictionary_name") if match["pattern"] == "dictionary" else match["pattern"]
        if kind in _BECAUSE:
            return _BECAUSE[kind]
        if match["pattern"] == "dictionary":
            return "it is mostly a common word or name"
    return "it has too few characters that are hard to guess"
