"""One typed configuration object, read from the environment (prefix REHEARSE_) and `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the app. See `.env.example` for the documented variables."""

    model_config = SettingsConfigDict(env_prefix="REHEARSE_", env_file=".env", extra="ignore")

    base_url: str | None = Field(None, description="OpenAI-compatible base URL; unset = embedded server")
    api_key: SecretStr | None = Field(None, description="API key for base_url; unset = 'not-needed'")
    persona_model: str = Field("smollm2-135m", description="model that voices the colleague")
    judge_model: str | None = Field(None, description="model for the LLM judge scorer; unset = persona_model")
    coach_model: str | None = Field(None, description="model for coaching rewrites; unset = persona_model")
    timeout: float = Field(30.0, gt=0, description="seconds before one model request is abandoned")
    max_retries: int = Field(2, ge=0, le=5, description="retries on 429, 5xx and connection errors")
    context_tokens: int = Field(2048, ge=256, description="context window used to trim prompts")
    embedded_ctx: int = Field(2048, ge=256, description="n_ctx of the embedded llama.cpp server")
    embedded_max_tokens: int | None = Field(
        None, ge=8, description="cap on tokens per reply from the embedded model; lower it on a slow machine"
    )
    scorer: Literal["embed", "judge", "ensemble"] = "embed"
    db_path: Path = Field(Path("rehearse.sqlite"), description="SQLite checkpoint file")
    database_url: str | None = Field(None, description="postgresql://... to keep sessions in PostgreSQL")
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    share: bool = False
    max_chars: int = Field(20_000, ge=1, description="longest user turn accepted")
    users: SecretStr | None = Field(None, description="optional login: 'alice:pw1,bob:pw2'")
    personas_dir: Path | None = Field(None, description="persona YAML folder; unset = the project personas/")
    browser_secret: SecretStr | None = Field(
        None, description="key for the browser's local storage; unset = a key file beside db_path"
    )
    coach_rewrite: Literal["auto", "llm", "rubric"] = Field(
        "auto",
        description="better reply in coaching: llm = the coach model rewrites it, rubric = built from the "
        "rubric's examples and the persona's incident, auto = llm only when a remote model is configured",
    )
    topic_check: Literal["auto", "on", "off"] = Field(
        "auto",
        description="replace a generated reply that is about nothing in the conversation (MiniLM similarity) "
        "with the persona's authored line; auto = on for the embedded model only",
    )

    @property
    def embedded(self) -> bool:
        """True when no remote endpoint is configured and the app runs its own llama.cpp server."""
        return self.base_url is None and self.api_key is None

    @property
    def coach_uses_model(self) -> bool:
        """True when coaching asks the coach model for the better reply (see `coach_rewrite`)."""
        return self.coach_rewrite == "llm" or (self.coach_rewrite == "auto" and not self.embedded)

    @property
    def checks_topic(self) -> bool:
        """True when generated replies must pass the topic check (see `topic_check`)."""
        return self.topic_check == "on" or (self.topic_check == "auto" and self.embedded)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
