"""The [transcribe] section of the edge TOML file.

    [transcribe]
    language = "zh"                       # the site's language: picks the model below
    models = { zh = "/var/lib/frontdesk/models/vosk-model-small-cn-0.22",
               en = "/var/lib/frontdesk/models/vosk-model-small-en-us-0.15" }
    max_attempts = 3                      # worker crashes tolerated per recording

    [transcribe.dictation]
    microphone = "portaudio:default"      # the desk headset (see frontdesk.drivers.audio.microphone)

    [transcribe.categories.repair]        # editable keyword rules; "other" is what matches nothing
    dtmf = "1"
    words = { zh = ["漏水", "维修"], en = ["leak", "repair"] }
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from frontdesk.config import Section
from frontdesk.drivers.audio.microphone import MICROPHONES

CATEGORIES = ("repair", "complaint", "help_request", "inquiry")


class CategoryRule(Section):
    """How a message falls in one category: a phone-menu key, and keywords per language."""
    # The key the caller pressed in the phone menu for this category, if the menu offers it.
    dtmf: str | None = Field(default=None, pattern=r"^[0-9*#]{1,4}$")
    # language -> words or phrases; matched case-insensitively, CJK phrases also across spaces.
    words: dict[str, list[str]] = Field(default_factory=dict)


def default_categories() -> dict[str, CategoryRule]:
    """The built-in categories (repair, complaint, help_request, inquiry) with zh and en keywords;
    a new dict on every call."""
    return {
        "repair": CategoryRule(dtmf="1", words={
            "zh": ["维修", "修理", "报修", "坏了", "漏水", "渗水", "堵", "停电", "没电", "跳闸", "没水", "电梯", "门锁",
                   "灯不亮", "水管"],
            "en": ["repair", "fix", "broken", "leak", "leaking", "blocked", "clogged", "power", "outage", "elevator",
                   "lift", "lock", "light", "pipe", "heating"],
        }),
        "complaint": CategoryRule(dtmf="2", words={
            "zh": ["投诉", "噪音", "太吵", "不满意", "态度", "扰民", "乱停", "垃圾"],
            "en": ["complaint", "complain", "noise", "noisy", "unhappy", "rude", "parking", "rubbish", "garbage"],
        }),
        "help_request": CategoryRule(dtmf="3", words={
            "zh": ["帮忙", "求助", "救命", "紧急", "老人", "摔倒", "被困", "钥匙"],
            "en": ["help", "emergency", "urgent", "fell", "stuck", "trapped", "locked out", "key"],
        }),
        "inquiry": CategoryRule(dtmf="4", words={
            "zh": ["咨询", "请问", "多少钱", "什么时候", "物业费", "快递", "营业时间"],
            "en": ["question", "ask", "how much", "when", "fee", "parcel", "opening hours", "information"],
        }),
    }


class DictationConfig(Section):
    """[transcribe.dictation]: the desk microphone, its sample rate, the shortest and longest note (s)."""
    microphone: str = "portaudio:default"
    rate: int = Field(default=16000, ge=8000, le=48000)
    # A press shorter than this is a slip of the finger, not a note.
    min_seconds: float = Field(default=0.3, ge=0)
    max_seconds: float = Field(default=300, gt=0)

    @field_validator("microphone")
    @classmethod
    def _microphone_url(cls, value: str) -> str:
        MICROPHONES.check(value)
        return value


class TranscribeConfig(Section):
    """The [transcribe] section: models by language, decoder limits, the recogniser process's priority,
    restarts and retries, and the category rules."""
    language: str = Field(default="zh", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
    models: dict[str, Path] = Field(default_factory=dict)
    max_attempts: int = Field(default=3, ge=1, le=20)
    # Decoder search budget (Kaldi max-active and beam). Published small models ship 3000 / 10,
    # tuned for desktops; 1000 / 8 halves the decoding time, which a Pi needs to keep pace with
    # a caller. 0 keeps the model's own value.
    max_active: int = Field(default=1000, ge=0, le=20000)
    beam: float = Field(default=8.0, ge=0, le=30)
    # Scheduling priority of the recogniser process. 0 by default: a recogniser starved of CPU
    # falls behind the caller and the transcript comes late; the phone's own threads mostly sleep
    # and are woken promptly anyway. Raise it on a board that runs heavier work beside the agent.
    worker_nice: int = Field(default=0, ge=0, le=19)
    # Between restarts of a crashed recogniser process (doubles up to the maximum).
    restart_backoff_s: float = Field(default=0.5, gt=0)
    restart_backoff_max_s: float = Field(default=60.0, gt=0)
    # A model that is missing is looked for again this often (after `frontdesk models install`).
    model_retry_s: float = Field(default=60.0, gt=0)
    # The recogniser must finish a recording within this multiple of its length (+ 10 s).
    timeout_factor: float = Field(default=3.0, gt=0)
    poll_s: float = Field(default=0.5, gt=0, le=60)
    dictation: DictationConfig = DictationConfig()
    categories: dict[str, CategoryRule] = Field(default_factory=default_categories)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, CategoryRule]) -> dict[str, CategoryRule]:
        unknown = set(value) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)} (known: {', '.join(CATEGORIES)}; "
                             "'other' is what matches no rule)")
        return value

    @model_validator(mode="after")
    def _dtmf_unique(self) -> TranscribeConfig:
        seen: dict[str, str] = {}
        for name, rule in self.categories.items():
            if rule.dtmf and rule.dtmf in seen:
                raise ValueError(f"DTMF choice {rule.dtmf!r} is given to both {seen[rule.dtmf]} and {name}")
            if rule.dtmf:
                seen[rule.dtmf] = name
        return self

    def decoder_limits(self) -> dict[str, float]:
        """The Kaldi search limits for the recogniser ({"max-active", "beam"}; 0 keeps the model's)."""
        return {"max-active": self.max_active, "beam": self.beam}

    def model_path(self, language: str | None = None) -> Path | None:
        """The model folder configured for `language` (default: the site's language), or None."""
        return self.models.get(language or self.language)
